#pragma once
// What travels between simulated processes. A request and its reply are the same object:
// the server turns the request around (reply = true, status set) and sends it back to
// `reply_to`, so one request costs one allocation whatever its path. Whoever holds a
// message owns it; the receiving inbox owns it while its bytes are on their way and frees
// it if their transfer fails.
//
// A caller that stops waiting hangs up, as a TCP peer closing its connection does: the
// rest of a long message to or from it is not sent. A message with bytes travels as a
// host-to-host transfer that the receiving inbox awaits (see inbox.hpp); for a message
// longer than TCP's initial congestion window, the inbox cuts the transfer off once the
// caller's deadline has passed. A shorter message is in flight at once and cannot be
// recalled.
#include <cstdint>

#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Host.hpp>
#include <simgrid/s4u/Mailbox.hpp>

#include "core/outcome.hpp"

namespace archsim {

namespace sg4 = simgrid::s4u;

// Endpoint numbers with a special meaning.
constexpr int kProbeEndpoint = -2;        // a health-check probe, answered by the acceptor
constexpr int kReplicationEndpoint = -3;  // a replication event (id = log position)

struct Message {
  // What most hops read comes first, in the first 64 bytes: a message is out of the
  // processor's caches by the time it arrives somewhere.
  std::uint64_t id = 0;            // call id, unique per simulation; the caller matches replies on it
  sg4::Mailbox* reply_to = nullptr;
  const sg4::Host* reply_host = nullptr;  // host of reply_to's owner
  // When the caller stops waiting for the reply and hangs up (0: never). A replication
  // stream is a standing connection: its events have none, even when an acknowledgement
  // is awaited.
  double deadline = 0;
  int endpoint = -1;               // endpoint of the receiving service, or a special one above
  int op = -1;                     // client operation the request belongs to
  Outcome status = Outcome::Ok;    // replies only
  bool reply = false;
  bool session_ends = false;       // the last request of its session
  bool traced = false;             // part of a sampled request (see Tracer)
  bool found = false;              // a cache get's reply: the key was cached
  bool early = false;              // a delivery's acknowledgement sent before its processing
  double request_bytes = 0;        // size of this request (a proxy forwards as much)
  double response_bytes = 0;       // size of the successful reply
  double sent_at = 0;              // when the current hop was sent
  sg4::CommPtr body;               // the transfer of the message's bytes, while in progress
  std::uint64_t session = 0;       // client session
  std::uint64_t key = 0;           // data key the request is about
  // The flow a request belongs to: when its client sent it and from where (a notification
  // at the end of an asynchronous flow goes back there), carried along every call.
  double flow_start = 0;
  const sg4::Host* flow_host = nullptr;
  double origin_at = 0;            // replication: when the write committed on the primary; a
                                   // cache set: when its caller began to fetch the value
  std::uint64_t sequence = 0;      // replication: log position of the write
  // The version of the data a reply returns (a database's read or write, a cache's hit) or
  // a cache set stores, and the service whose committed versions it counts (-1: none).
  std::uint64_t version = 0;
  int version_source = -1;
  // A message queue's: the topic (publish) or group (delivery), and the stored message's id.
  int channel = -1;
  double ttl_s = 0;                // a cache set: the value's time to live (0: the cache's own)
  std::uint64_t item = 0;
};

// Size of an error reply (headers only), and of probes, acknowledgements and their replies.
constexpr double kErrorReplyBytes = 200;
constexpr double kControlBytes = 100;
// The fewest bytes a transfer puts on the wire. SimGrid 3.32 finishes a network transfer of
// zero bytes at the first update of its network model after the transfer starts (the start
// or end of any other transfer) rather than when it should (tests/engine/zero_byte_probe.cpp
// shows it on a bare S4U program). A message of no bytes is handed over without a
// transfer (see wire.hpp and inbox.hpp).
constexpr double kMinimumWireBytes = 1;
// TCP's initial congestion window, 10 segments of 1460 bytes (RFC 6928): a message up to
// this size leaves in one flight.
constexpr double kInitialWindowBytes = 14600;

// Whether the caller of `message`, a long one if `long_message`, has hung up by `now`: its
// deadline has passed, and what is left of it is not sent (see above).
inline bool caller_hung_up(const Message& message, bool long_message, double now) {
  return long_message && message.deadline > 0 && message.deadline <= now;
}

// Sends `message` to mailbox `to` (owned by an actor on `destination`) without waiting:
// after the path's latency (see wire.hpp), a detached transfer of `bytes` from the calling
// actor's host to `destination`, which the mailbox's inbox awaits. If the message is lost
// (a host or link down) the message is freed.
void send_message(sg4::Mailbox* to, const sg4::Host* destination, Message* message, double bytes);
// The same from `from`'s process, in the engine's context (no actor is calling).
void send_message_from(sg4::Host* from, sg4::Mailbox* to, const sg4::Host* destination, Message* message,
                       double bytes);

// Turns a request into a reply with `status` and sends it back to its caller; `from`: the
// replying process's host, when no actor of it replies.
void reply_to_caller(Message* message, Outcome status, sg4::Host* from = nullptr);

}  // namespace archsim

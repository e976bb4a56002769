#pragma once
// The latency of the network, applied by archsim rather than by SimGrid's links. A message
// is held back for its path's latency, then its transfer starts on links that have none:
// SimGrid shares their bandwidth and times the bytes. The arrival time is the same (latency,
// then bytes over the bottleneck), but the cost is not:
//
// SimGrid 3.32 keeps every detached transfer in one engine-wide std::list for its whole life
// and takes it out with a scan of that list when it ends, so each transfer costs time in
// proportion to all transfers in flight, rate x (latency + transfer time): a fleet ten
// times larger costs ten times more per request (tests/bench/fleet_s4u.cpp shows it on a
// bare S4U program). Held here, a message becomes a SimGrid transfer only for its
// transfer time, which is microseconds on a datacenter NIC, whatever the latency.
//
// Messages with the same latency leave in the order they were sent, so each distinct
// latency is a FIFO lane with one kernel timer armed for its head: holding and releasing a
// message costs O(1) whatever the number in flight.
//
// Two consequences of taking latency out of the links, both documented in the README:
// transfers that share a link share it equally (SimGrid's CM02 divides bandwidth in
// inverse proportion to the path latency when latency is on the links), and TCP's window
// bound (bandwidth at most window / round trip), which SimGrid applies from the links'
// latency, no longer caps a single long transfer.
//
// A message in flight to or from a host that goes down, is parked, or has its NIC cut is
// lost, as the SimGrid transfer carrying it would fail. Messages cross a partition only if
// it did not separate their ends when they were sent and when they arrive.
//
// A message of no bytes is not a SimGrid transfer at all: once its latency has passed it is
// handed to the receiving inbox (see inbox.hpp). A message with bytes is a host-to-host
// transfer of them, which the receiving inbox awaits.
//
// Lanes are filled from actors and emptied by timers in the engine's own context; both run
// one at a time (archsim uses SimGrid's sequential contexts), so no simcall is needed.
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include <simgrid/s4u.hpp>

#include "engine/message.hpp"

namespace simgrid::kernel::timer {
class Timer;
}

namespace archsim {

class Inbox;

class Wire {
 public:
  Wire() = default;
  ~Wire();  // frees the messages still held and cancels its timers
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  // Where `host` stands on the network: its one-way latency to the datacenter's switch and
  // that of a message to itself. Messages are held only between hosts attached to a wire.
  void attach(sg4::Host* host, double edge_s, double loopback_s, int region = 0);
  // One-way latency between regions (regions x regions, row-major): added to a message
  // between hosts of different regions.
  void set_regions(std::size_t count, std::vector<double> one_way_s);
  // The one-way latency from one host to another (a host off the wire counts for none).
  static double latency(const sg4::Host* from, const sg4::Host* to);

  // Drops the messages held from or to `host`: it went down, was parked or lost its NIC.
  void lose_traffic_of(const sg4::Host* host);
  // Messages held now.
  std::size_t held() const;

  // Called by send_message (see message.hpp), from the sending actor: holds `message` for
  // the path's latency (a sender off any wire sends at once), then starts its transfer to
  // host `destination`, which the inbox of mailbox `to` awaits, or hands it to that inbox
  // directly when it has no bytes (see inbox.hpp).
  static void hold(sg4::Mailbox* to, sg4::Host* from, sg4::Host* destination, Message* message, double bytes,
                   bool long_message);

  // What a host carries: its place on the network and the wire it belongs to.
  struct End {
    static simgrid::xbt::Extension<sg4::Host, End> EXTENSION_ID;
    Wire* wire = nullptr;
    double edge_s = 0;
    double loopback_s = 0;
    int region = 0;
  };

 private:
  struct Held {
    double due = 0;
    sg4::Mailbox* mailbox = nullptr;
    Message* message = nullptr;
    sg4::Host* from = nullptr;
    sg4::Host* to = nullptr;
    double bytes = 0;
    bool long_message = false;
  };
  struct Lane {
    double latency = 0;
    std::deque<Held> queue;
    simgrid::kernel::timer::Timer* timer = nullptr;
    double armed_for = -1;
  };

  Lane& lane(double latency);
  void arm(Lane& lane);
  void release(Lane& lane);
  // Starts a message whose latency has passed; `inbox` is its mailbox's, if it has one.
  static void start(Held& held, Inbox* inbox);

  std::vector<std::unique_ptr<Lane>> lanes_;
  std::size_t regions_ = 1;
  std::vector<double> region_one_way_s_{0.0};
};

}  // namespace archsim

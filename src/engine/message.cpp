#include "engine/message.hpp"

#include <algorithm>

#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>

#include "engine/host_data.hpp"

namespace archsim {

namespace {
void free_message(void* payload) { delete static_cast<Message*>(payload); }
}  // namespace

void send_message(sg4::Mailbox* to, const sg4::Host* destination, Message* message, double bytes) {
  const double now = sg4::Engine::get_clock();
  message->sent_at = now;
  sg4::Host* from = sg4::this_actor::get_host();
  if (message->deadline > 0 && now >= message->deadline) {
    delete message;  // the caller has hung up already: the write fails at once
    return;
  }
  if (!reachable(destination)) {
    // Nothing answers on a dead host: the connection attempt is lost and the sender only
    // learns of it by its timeout. (SimGrid 3.32 cannot even start a transfer to it.)
    delete message;
    return;
  }
  if (destination != from) {
    if (partitioned(from, destination)) {
      delete message;  // lost in the partition: the sender only learns of it by its timeout
      return;
    }
    if (auto* data = HostData::of(from)) data->nic_out_bytes += bytes;
    if (auto* data = HostData::of(destination)) data->nic_in_bytes += bytes;
  }
  if (message->deadline > 0 && bytes > kInitialWindowBytes) {
    // The bytes as a host-to-host transfer that the receiving inbox waits for once the
    // header is in (on the same path with no bytes, the header cannot arrive later).
    message->body = sg4::Comm::sendto_init(from, const_cast<sg4::Host*>(destination));
    message->body->set_payload_size(static_cast<std::uint64_t>(bytes));
    message->body->detach();  // starts it; nobody has to wait for it to end
    // A header of no bytes may be handed over before the path's latency has passed (see
    // kMinimumWireBytes): harmless, the receiver waits for the body, which takes it.
    to->put_init(message, 0)->detach(free_message);
    return;
  }
  // At least one byte on the wire: SimGrid 3.32 ends a zero-byte transfer at the next
  // update of its network model (when any other transfer starts or ends) instead of once the
  // path's latency has passed (see message.hpp). A real message has headers anyway.
  to->put_init(message, static_cast<std::uint64_t>(std::max(bytes, kMinimumWireBytes)))->detach(free_message);
}

void reply_to_caller(Message* message, Outcome status) {
  message->reply = true;
  message->status = status;
  send_message(message->reply_to, message->reply_host, message,
               status == Outcome::Ok ? message->response_bytes : kErrorReplyBytes);
}

}  // namespace archsim

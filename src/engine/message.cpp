#include "engine/message.hpp"

#include <algorithm>

#include <simgrid/s4u/Comm.hpp>
#include <simgrid/s4u/Actor.hpp>
#include <simgrid/s4u/Engine.hpp>

#include "engine/host_data.hpp"
#include "engine/wire.hpp"

namespace archsim {

void send_message(sg4::Mailbox* to, const sg4::Host* destination, Message* message, double bytes) {
  send_message_from(sg4::this_actor::get_host(), to, destination, message, bytes);
}

void send_message_from(sg4::Host* from, sg4::Mailbox* to, const sg4::Host* destination, Message* message,
                       double bytes) {
  const double now = sg4::Engine::get_clock();
  message->sent_at = now;
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
  if (destination != from && partitioned(from, destination)) {
    delete message;  // lost in the partition: the sender only learns of it by its timeout
    return;
  }
  const bool long_message = message->deadline > 0 && bytes > kInitialWindowBytes;
  Wire::hold(to, from, const_cast<sg4::Host*>(destination), message, bytes, long_message);
}

void reply_to_caller(Message* message, Outcome status, sg4::Host* from) {
  message->reply = true;
  message->status = status;
  send_message_from(from ? from : sg4::this_actor::get_host(), message->reply_to, message->reply_host, message,
                    status == Outcome::Ok ? message->response_bytes : kErrorReplyBytes);
}

}  // namespace archsim

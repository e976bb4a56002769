#pragma once
// The receiving end of a simulated process: a mailbox in eager mode (transfers start as
// soon as they are sent, like TCP data landing in a socket buffer) watched through up to
// `depth` pending receives at once. A mailbox hands out messages in the order transfers
// *started*; watching several at once lets a short message that arrives first be seen
// first instead of waiting behind a long transfer still in progress.
//
// A long message comes as a header and a body (see message.hpp): the inbox keeps the
// headers whose bodies are still in transfer, hands each message out once its body is in,
// and cuts off the bodies of messages whose caller's deadline has passed.
//
// Bind the inbox to its owning actor (from that actor) before receiving; rebind after the
// owner was restarted. Only the owner may call receive().
#include <vector>

#include <simgrid/s4u.hpp>

#include "engine/message.hpp"

namespace archsim {

class Inbox {
 public:
  Inbox(sg4::Mailbox* mailbox, int depth);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Makes the calling actor the mailbox's receiver and forgets receives posted by a
  // previous owner. Messages already delivered to the mailbox are kept.
  void bind();
  // The next message, or nullptr when `timeout` seconds pass first (timeout < 0: wait for
  // ever). A message whose transfer failed or was cut off is skipped.
  Message* receive(double timeout);
  // Drops every pending and delivered message (after a crash: what was in the socket
  // buffers is gone).
  void discard_all();

  sg4::Mailbox* mailbox() const { return mailbox_; }

 private:
  void post(std::size_t slot);
  // Cuts off the bodies whose caller's deadline is at or before `now`.
  void cut_off_late(double now);
  // Takes the message at `index` out of arriving_ (the last one takes its place).
  Message* take_arriving(std::size_t index);
  // Drops the message at `index` of arriving_, cutting off its body.
  void drop_arriving(std::size_t index);

  sg4::Mailbox* mailbox_;
  std::size_t depth_;
  std::vector<sg4::CommPtr> pending_;
  std::vector<Message*> payloads_;
  std::vector<Message*> arriving_;  // headers in, bodies still in transfer
  std::vector<sg4::CommPtr> waited_;  // pending_, then the bodies of arriving_
};

}  // namespace archsim

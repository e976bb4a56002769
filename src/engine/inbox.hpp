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
// A message of no bytes needs nothing from the network once its latency has passed: the
// wire hands it to the inbox directly (deliver()), without a SimGrid transfer. Its owner
// waits on a doorbell (a semaphore) while no transfer is on its way, and on the transfers
// otherwise; a message of no bytes that comes while the owner watches transfers is sent
// as a transfer of one byte instead, which wakes it.
//
// Bind the inbox to its owning actor (from that actor) before receiving; rebind after the
// owner was restarted. Only the owner may call receive().
#include <deque>
#include <functional>
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

  // The inbox of a mailbox, if it has one.
  static Inbox* of(const sg4::Mailbox* mailbox);
  // From the wire: a message of no bytes has arrived (see above).
  void deliver(Message* message);
  // From the wire: a transfer to the mailbox has started.
  void transfer_started() {
    ++transfers_;
    ring();  // the owner must watch the transfers now
  }
  // Whether the owner is blocked on transfers (a message of no bytes could not wake it).
  bool watching_transfers() const { return watching_; }
  // A handler that may take a message of no bytes at once, in the context of whoever
  // delivers it, while the owner waits with nothing else to do (saving the owner a wake-up);
  // it returns false to leave the message to the owner. Set by the owner after bind().
  void set_express(std::function<bool(Message*)> handler) { express_ = std::move(handler); }
  // Makes the owner's receive() return nullptr now, as if its time was up (a handler took
  // a message that changes when the owner must next wake).
  void wake() {
    woken_ = true;
    ring();
  }

 private:
  // Wakes the owner if it sleeps on the doorbell (once).
  void ring() {
    if (sleeping_ && !rung_) {
      rung_ = true;
      doorbell_->release();
    }
  }
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
  std::deque<Message*> direct_;       // messages of no bytes, in arrival order
  std::function<bool(Message*)> express_;
  sg4::SemaphorePtr doorbell_;
  std::size_t transfers_ = 0;  // transfers started to the mailbox and not yet received
  bool sleeping_ = false;      // the owner waits on the doorbell
  bool rung_ = false;          // and it was rung since
  bool watching_ = false;      // the owner waits on transfers
  bool woken_ = false;         // see wake()
};

}  // namespace archsim

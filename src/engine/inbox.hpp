#pragma once
// The receiving end of a simulated process: a mailbox in eager mode (transfers start as
// soon as they are sent, like TCP data landing in a socket buffer) watched through up to
// `depth` pending receives at once. A mailbox hands out messages in the order transfers
// *started*; watching several at once lets a short message that arrives first be seen
// first instead of waiting behind a long transfer still in progress.
//
// Two kinds of message come without a transfer to the mailbox, and the wire hands them
// to the inbox itself (hand_over() and await_body()):
// - A message of no bytes needs nothing from the network once its latency has passed.
// - A long message (see message.hpp) is a host-to-host transfer of its bytes, its body,
//   that the inbox knows is coming, as TCP's receiver does from the first segment. SimGrid
//   reports when a transfer ends (Link's communication state signal); the inbox then
//   hands the message out, or drops it if the transfer failed. Nobody watches the bodies,
//   so a receive costs the same whether 1 or 10,000 of them are on their way (a client
//   population behind a saturated link has thousands). The inbox cuts off the bodies of
//   messages whose caller's deadline has passed.
//
// The owner waits on a doorbell (a semaphore) while no transfer to the mailbox is on its
// way, and on the transfers otherwise; a message handed over while the owner watches
// transfers goes to the front of the queue and a transfer of one byte to a receive the
// owner watches beside them (a "wake" mailbox) wakes it.
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
  // A message that came without a transfer to the mailbox (of no bytes, or whose body is
  // in), in the context of whoever hands it over (an actor or the engine's timers).
  void hand_over(Message* message);
  // From the wire: the body of `message` (see message.hpp) has started; the inbox owns the
  // message from now on and hands it out when the body is in.
  void await_body(Message* message);
  // Forgets every body in transfer (the engine is going away).
  static void forget_all_bodies();
  // From the wire: a transfer to the mailbox has started.
  void transfer_started() {
    ++transfers_;
    ring();  // the owner must watch the transfers now
  }
  // A handler that may take a handed-over message at once, in the context of whoever hands
  // it over, while the owner waits with nothing else to do (saving the owner a wake-up);
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
  // The body of the message at `index` of arriving_ ended (in the engine's context, while
  // SimGrid updates its network model).
  void body_ended(std::size_t index, bool lost);
  // Hands over the messages whose bodies ended (from a timer, right after that update).
  static void hand_over_ended();
  // Has SimGrid report the ends of transfers to body_ended() (once).
  static void listen_to_transfers();
  // Takes the message at `index` out of arriving_ (the last one takes its place).
  Message* take_arriving(std::size_t index);
  // Drops the message at `index` of arriving_, cutting off its body.
  void drop_arriving(std::size_t index);

  sg4::Mailbox* mailbox_;
  sg4::Mailbox* wake_box_;  // where the wake byte goes (see hand_over())
  std::size_t depth_;
  std::vector<sg4::CommPtr> pending_;  // depth_ receives on the mailbox, then the wake receive
  std::vector<Message*> payloads_;
  std::vector<Message*> arriving_;  // messages whose bodies are in transfer
  double earliest_deadline_ = 0;    // no deadline in arriving_ is earlier (0: none)
  std::deque<Message*> direct_;     // messages handed over, in that order
  std::function<bool(Message*)> express_;
  sg4::SemaphorePtr doorbell_;
  std::size_t transfers_ = 0;  // transfers started to the mailbox and not yet received
  bool sleeping_ = false;      // the owner waits on the doorbell
  bool rung_ = false;          // and it was rung since
  bool watching_ = false;      // the owner waits on transfers
  bool woken_ = false;         // see wake()
  // A transfer of one byte to wake_box_, made by the owner, that a message handed over
  // while the owner watches transfers sends to wake it; in flight when nudging_.
  sg4::CommPtr wake_;
  bool nudging_ = false;
};

}  // namespace archsim

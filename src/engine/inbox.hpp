#pragma once
// The receiving end of a simulated process. Messages do not queue in a SimGrid mailbox:
// the wire hands each one to the inbox of the mailbox it is sent to.
// - A message of no bytes needs nothing from the network once its latency has passed: it
//   is handed over then (hand_over()).
// - A message with bytes is a host-to-host transfer that the inbox awaits (await()).
//   SimGrid reports when a transfer ends (Link's communication state signal); the inbox
//   then hands the message over, or drops it if the transfer failed. Nobody waits on the
//   transfers in progress, so a receive costs the same whether 1 or 10,000 of them are on
//   their way (a client population behind a saturated link has thousands), and messages
//   come out in the order their bytes are in, whatever the order they were sent in.
// The inbox cuts off the transfers of long messages (see message.hpp) whose caller's
// deadline has passed; a shorter message is in flight at once and arrives.
//
// The owner waits on a doorbell (a semaphore) until a message is handed over, or until a
// kernel timer rings it at the end of a timed wait. Bind the inbox to its owning actor
// (from that actor) before receiving; rebind after the owner was restarted. Only the owner
// may call receive().
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/s4u.hpp>

#include "engine/message.hpp"

namespace archsim {

class Inbox {
 public:
  explicit Inbox(sg4::Mailbox* mailbox);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Makes the calling actor the owner.
  void bind();
  // The next message, or nullptr when `timeout` seconds pass first (timeout < 0: wait for
  // ever). A message whose transfer failed or was cut off is skipped.
  Message* receive(double timeout);
  // Drops every message on its way or waiting (after a crash: what was in the socket
  // buffers is gone).
  void discard_all();

  sg4::Mailbox* mailbox() const { return mailbox_; }

  // The inbox of a mailbox, if it has one.
  static Inbox* of(const sg4::Mailbox* mailbox);
  // A message whose bytes are in (or that has none), in the context of whoever hands it
  // over (an actor or the engine's timers).
  void hand_over(Message* message);
  // From the wire: the transfer of `message` (message->body) has started; the inbox owns
  // the message from now on and hands it over when its bytes are in. A long message may
  // be cut off at its deadline.
  void await(Message* message, bool long_message);
  // Forgets every transfer (the engine is going away).
  static void forget_all_transfers();
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
  struct Arriving {
    Message* message;
    bool long_message;
  };
  // Wakes the owner if it sleeps on the doorbell (once).
  void ring() {
    if (sleeping_ && !rung_) {
      rung_ = true;
      doorbell_->release();
    }
  }
  // Cuts off the long messages whose caller's deadline is at or before `now`.
  void cut_off_late(double now);
  // The transfer of the message at `index` of arriving_ ended (in the engine's context,
  // while SimGrid updates its network model or turns a host or link off).
  void transfer_ended(std::size_t index, bool lost);
  // Drops this inbox's messages whose transfers ended and that wait to be handed over.
  void drop_ended();
  // Hands over the messages whose transfers ended (from a timer, right after that update).
  static void hand_over_ended();
  // Has SimGrid report the ends of transfers to transfer_ended() (once).
  static void listen_to_transfers();
  // Takes the message at `index` out of arriving_ (the last one takes its place).
  Message* take_arriving(std::size_t index);
  // Takes the message at `index` out of arriving_ to cut its transfer off (see cut()).
  std::unique_ptr<Message> take_to_cut(std::size_t index);
  // Cuts off the transfers of `messages`, taken out with take_to_cut().
  static void cut(const std::vector<std::unique_ptr<Message>>& messages);

  // What hand_over() reads first, together (an inbox of a fleet's replica is out of the
  // processor's caches when a message comes).
  bool sleeping_ = false;  // the owner waits on the doorbell
  bool rung_ = false;      // and it was rung since
  bool woken_ = false;     // see wake()
  std::function<bool(Message*)> express_;
  std::deque<Message*> direct_;  // messages handed over, in that order
  sg4::Mailbox* mailbox_;
  std::vector<Arriving> arriving_;  // messages whose bytes are in transfer
  double earliest_deadline_ = 0;    // no long message in arriving_ has an earlier one (0: none)
  sg4::SemaphorePtr doorbell_;
  simgrid::kernel::timer::Timer* alarm_ = nullptr;  // ends the owner's timed wait
};

}  // namespace archsim

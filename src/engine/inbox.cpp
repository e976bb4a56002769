#include "engine/inbox.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include <simgrid/Exception.hpp>

#include "engine/host_data.hpp"

namespace archsim {

namespace {
std::unordered_map<const sg4::Mailbox*, Inbox*>& inboxes() {
  static std::unordered_map<const sg4::Mailbox*, Inbox*> map;
  return map;
}
}  // namespace

Inbox::Inbox(sg4::Mailbox* mailbox, int depth)
    : mailbox_(mailbox), depth_(static_cast<std::size_t>(depth < 1 ? 1 : depth)), doorbell_(sg4::Semaphore::create(0)) {
  pending_.resize(depth_);
  payloads_.assign(depth_, nullptr);
  inboxes()[mailbox] = this;
}

Inbox::~Inbox() {
  // The engine has stopped: the bodies are only let go.
  for (Message* m : arriving_) delete m;
  for (Message* m : direct_) delete m;
  auto it = inboxes().find(mailbox_);
  if (it != inboxes().end() && it->second == this) inboxes().erase(it);
}

Inbox* Inbox::of(const sg4::Mailbox* mailbox) {
  auto it = inboxes().find(mailbox);
  return it == inboxes().end() ? nullptr : it->second;
}

void Inbox::bind() {
  mailbox_->set_receiver(sg4::Actor::self());
  // Receives posted by a previous owner died with it; start afresh.
  for (auto& comm : pending_) comm = nullptr;
  doorbell_ = sg4::Semaphore::create(0);
  sleeping_ = rung_ = watching_ = woken_ = false;
  express_ = nullptr;
}

void Inbox::deliver(Message* message) {
  if (express_ && sleeping_ && !rung_ && direct_.empty() && express_(message)) return;
  direct_.push_back(message);
  ring();
}

void Inbox::post(std::size_t slot) {
  payloads_[slot] = nullptr;
  pending_[slot] = mailbox_->get_async<Message>(&payloads_[slot]);
}

Message* Inbox::take_arriving(std::size_t index) {
  Message* m = arriving_[index];
  arriving_[index] = arriving_.back();
  arriving_.pop_back();
  return m;
}

void Inbox::drop_arriving(std::size_t index) {
  // Out of the list and owned here before the cancel, which lets other actors run (and
  // unwinds this one if it is killed meanwhile).
  const std::unique_ptr<Message> m(take_arriving(index));
  // What was not sent yet does not cross the NICs after all (0 if the transfer ended).
  const double unsent = m->body->get_remaining();
  if (unsent > 0 && m->body->get_source() != m->body->get_destination()) {
    if (auto* data = HostData::of(m->body->get_source())) data->nic_out_bytes -= unsent;
    if (auto* data = HostData::of(m->body->get_destination())) data->nic_in_bytes -= unsent;
  }
  // A transfer in progress fails as if its link broke; one that ended is left as it is.
  m->body->cancel();
}

void Inbox::cut_off_late(double now) {
  for (std::size_t i = 0; i < arriving_.size();) {
    if (arriving_[i]->deadline <= now)
      drop_arriving(i);  // the last one takes its place: look at index i again
    else
      ++i;
  }
}

Message* Inbox::receive(double timeout) {
  for (std::size_t i = 0; i < depth_; ++i)
    if (!pending_[i]) post(i);
  const double deadline = timeout < 0 ? -1.0 : sg4::Engine::get_clock() + timeout;
  const auto left = [deadline] { return deadline < 0 ? -1.0 : std::max(0.0, deadline - sg4::Engine::get_clock()); };
  while (true) {
    cut_off_late(sg4::Engine::get_clock());
    if (transfers_ > 0 || !arriving_.empty()) {
      // Transfers on their way: the pending receives, then the bodies (usually none). With
      // a message of no bytes waiting, only a look at what is in already.
      if (!arriving_.empty()) {
        waited_.assign(pending_.begin(), pending_.end());
        for (Message* m : arriving_) waited_.push_back(m->body);
      }
      ssize_t index;
      try {
        watching_ = direct_.empty();
        index = sg4::Comm::wait_any_for(arriving_.empty() ? pending_ : waited_, direct_.empty() ? left() : 0.0);
        watching_ = false;
      } catch (const simgrid::NetworkFailureException&) {
        // A watched transfer failed (its sender, or a link on its way, died): SimGrid marked
        // it FAILED; drop it and keep watching.
        watching_ = false;
        for (std::size_t i = 0; i < depth_; ++i)
          if (pending_[i]->get_state() == sg4::Activity::State::FAILED) {
            if (transfers_ > 0) --transfers_;
            post(i);
          }
        for (std::size_t i = 0; i < arriving_.size();) {
          if (arriving_[i]->body->get_state() == sg4::Activity::State::FAILED)
            delete take_arriving(i);  // the last one took its place: look at index i again
          else
            ++i;
        }
        continue;
      }
      if (index >= 0) {
        const auto slot = static_cast<std::size_t>(index);
        Message* m;
        if (slot < depth_) {
          if (transfers_ > 0) --transfers_;
          m = payloads_[slot];
          post(slot);
          if (m->body) {
            arriving_.push_back(m);  // the header: wait for the body
            continue;
          }
        } else {
          m = take_arriving(slot - depth_);
          m->body = nullptr;
        }
        return m;
      }
      if (direct_.empty()) {  // the time is up
        cut_off_late(sg4::Engine::get_clock());
        return nullptr;
      }
    }
    if (!direct_.empty()) {
      Message* m = direct_.front();
      direct_.pop_front();
      return m;
    }
    // Nothing on its way: wait on the doorbell.
    sleeping_ = true;
    rung_ = false;
    const double wait = left();
    const bool timed_out = wait < 0 ? (doorbell_->acquire(), false) : doorbell_->acquire_timeout(wait);
    sleeping_ = false;
    if (woken_ && direct_.empty()) {
      woken_ = false;
      return nullptr;
    }
    woken_ = false;
    if (timed_out && direct_.empty() && transfers_ == 0) return nullptr;
  }
}

void Inbox::discard_all() {
  for (auto& comm : pending_) comm = nullptr;  // receives of the dead owner died with it
  mailbox_->clear();
  transfers_ = 0;
  for (Message* m : direct_) delete m;
  direct_.clear();
  while (!arriving_.empty()) drop_arriving(arriving_.size() - 1);
}

}  // namespace archsim

#include "engine/inbox.hpp"

#include <algorithm>

#include <simgrid/Exception.hpp>

namespace archsim {

Inbox::Inbox(sg4::Mailbox* mailbox, int depth)
    : mailbox_(mailbox), depth_(static_cast<std::size_t>(depth < 1 ? 1 : depth)) {
  pending_.resize(depth_);
  payloads_.assign(depth_, nullptr);
}

Inbox::~Inbox() = default;

void Inbox::bind() {
  mailbox_->set_receiver(sg4::Actor::self());
  // Receives posted by a previous owner died with it; start afresh.
  for (auto& comm : pending_) comm = nullptr;
}

void Inbox::post(std::size_t slot) {
  payloads_[slot] = nullptr;
  pending_[slot] = mailbox_->get_async<Message>(&payloads_[slot]);
}

Message* Inbox::receive(double timeout) {
  for (std::size_t i = 0; i < depth_; ++i)
    if (!pending_[i]) post(i);
  const double deadline = timeout < 0 ? -1.0 : sg4::Engine::get_clock() + timeout;
  while (true) {
    ssize_t index;
    try {
      index = sg4::Comm::wait_any_for(
          pending_, deadline < 0 ? -1.0 : std::max(0.0, deadline - sg4::Engine::get_clock()));
    } catch (const simgrid::NetworkFailureException&) {
      // A watched transfer failed (its sender, or a link on its way, died): SimGrid marked
      // it FAILED; drop it and keep watching.
      for (std::size_t i = 0; i < depth_; ++i)
        if (pending_[i]->get_state() == sg4::Activity::State::FAILED) post(i);
      continue;
    }
    if (index < 0) return nullptr;
    const auto slot = static_cast<std::size_t>(index);
    Message* m = payloads_[slot];
    post(slot);
    return m;
  }
}

void Inbox::discard_all() {
  for (auto& comm : pending_) comm = nullptr;  // receives of the dead owner died with it
  mailbox_->clear();
}

}  // namespace archsim

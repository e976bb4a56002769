#include "engine/inbox.hpp"

#include <algorithm>
#include <memory>
#include <unordered_map>

#include <simgrid/Exception.hpp>
#include <simgrid/kernel/Timer.hpp>
#include <simgrid/kernel/resource/Action.hpp>

#include "engine/host_data.hpp"

namespace archsim {

namespace {
std::unordered_map<const sg4::Mailbox*, Inbox*>& inboxes() {
  static std::unordered_map<const sg4::Mailbox*, Inbox*> map;
  return map;
}

// The bodies in transfer, by their SimGrid activity (what the network action reports).
struct Body {
  Inbox* inbox;       // awaiting it
  std::size_t index;  // there, the message's place in arriving_
};
std::unordered_map<const void*, Body>& bodies() {
  static std::unordered_map<const void*, Body> map;
  return map;
}
const void* key_of(const Message* m) { return m->body->get_impl(); }

// A transfer that carries no message: it only wakes an owner watching transfers.
Message wake_token;

// Bodies that ended, handed over by a timer at the same date: a network action reports
// its end while SimGrid updates its model, where no transfer may start and no message be
// let go.
struct Ended {
  Inbox* inbox;
  Message* message;  // nullptr once its inbox dropped it
  bool lost;
};
std::vector<Ended>& ended() {
  static std::vector<Ended> list;
  return list;
}
simgrid::kernel::timer::Timer*& ended_timer() {
  static simgrid::kernel::timer::Timer* timer = nullptr;
  return timer;
}

}  // namespace

void Inbox::listen_to_transfers() {
  static bool listening = false;
  if (listening) return;
  listening = true;
  sg4::Link::on_communication_state_change_cb(
      [](simgrid::kernel::resource::NetworkAction& network_action, simgrid::kernel::resource::Action::State) {
        using simgrid::kernel::resource::Action;
        // The installed headers declare NetworkAction without defining it; SimGrid 3.32
        // defines it as `class NetworkAction : public Action`, its one, non-virtual base,
        // which the Itanium C++ ABI places at offset 0.
        const auto& action = reinterpret_cast<const Action&>(network_action);
        auto& all = bodies();
        // Bodies carry more than the initial window (in whole bytes: 14,600 at the least).
        if (all.empty() || action.get_cost() < kInitialWindowBytes) return;
        const Action::State state = action.get_state();
        if (state != Action::State::FINISHED && state != Action::State::FAILED) return;
        const auto it = all.find(action.get_activity());
        if (it == all.end()) return;
        const Body body = it->second;
        all.erase(it);
        // A host going down cancels the transfers to and from it: they fail.
        body.inbox->body_ended(body.index, state == Action::State::FAILED);
      });
}
Inbox::Inbox(sg4::Mailbox* mailbox, int depth)
    : mailbox_(mailbox),
      wake_box_(sg4::Mailbox::by_name(mailbox->get_name() + "/wake")),
      depth_(static_cast<std::size_t>(depth < 1 ? 1 : depth)),
      doorbell_(sg4::Semaphore::create(0)) {
  pending_.resize(depth_ + 1);  // and the wake receive
  payloads_.assign(depth_ + 1, nullptr);
  inboxes()[mailbox] = this;
}

Inbox::~Inbox() {
  // The engine has stopped: the bodies are only let go.
  for (Message* m : arriving_) {
    bodies().erase(key_of(m));
    delete m;
  }
  for (Message* m : direct_) delete m;
  for (auto& e : ended())
    if (e.inbox == this) {
      delete e.message;
      e.message = nullptr;
    }
  auto it = inboxes().find(mailbox_);
  if (it != inboxes().end() && it->second == this) inboxes().erase(it);
}

Inbox* Inbox::of(const sg4::Mailbox* mailbox) {
  auto it = inboxes().find(mailbox);
  return it == inboxes().end() ? nullptr : it->second;
}

void Inbox::forget_all_bodies() {
  bodies().clear();
  ended().clear();
  if (ended_timer()) {
    ended_timer()->remove();
    ended_timer() = nullptr;
  }
}

void Inbox::bind() {
  mailbox_->set_receiver(sg4::Actor::self());
  // Receives posted by a previous owner died with it; start afresh.
  for (auto& comm : pending_) comm = nullptr;
  doorbell_ = sg4::Semaphore::create(0);
  sleeping_ = rung_ = watching_ = woken_ = nudging_ = false;
  wake_ = nullptr;
  express_ = nullptr;
}

void Inbox::hand_over(Message* message) {
  if (watching_) {
    // A byte of the owner's making, to the receive it watches beside the transfers, wakes
    // it (once).
    direct_.push_back(message);
    if (nudging_ || !wake_) return;
    nudging_ = true;
    wake_->detach();
    wake_ = nullptr;
    return;
  }
  if (express_ && sleeping_ && !rung_ && direct_.empty() && express_(message)) return;
  direct_.push_back(message);
  ring();
}

void Inbox::await_body(Message* message) {
  listen_to_transfers();
  bodies()[key_of(message)] = Body{this, arriving_.size()};
  arriving_.push_back(message);
  if (message->deadline > 0 && (earliest_deadline_ <= 0 || message->deadline < earliest_deadline_))
    earliest_deadline_ = message->deadline;
}

void Inbox::post(std::size_t slot) {
  payloads_[slot] = nullptr;
  pending_[slot] = (slot < depth_ ? mailbox_ : wake_box_)->get_async<Message>(&payloads_[slot]);
}

Message* Inbox::take_arriving(std::size_t index) {
  Message* m = arriving_[index];
  if (index + 1 != arriving_.size()) {
    arriving_[index] = arriving_.back();
    bodies()[key_of(arriving_[index])].index = index;
  }
  arriving_.pop_back();
  return m;
}

void Inbox::drop_arriving(std::size_t index) {
  // Out of the list and owned here before the cancel, which lets other actors run (and
  // unwinds this one if it is killed meanwhile).
  const std::unique_ptr<Message> m(take_arriving(index));
  bodies().erase(key_of(m.get()));  // the cut is not an end to report
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
  if (earliest_deadline_ <= 0 || now < earliest_deadline_) return;
  double earliest = 0;
  for (std::size_t i = 0; i < arriving_.size();) {
    const double deadline = arriving_[i]->deadline;
    if (deadline > 0 && deadline <= now) {
      drop_arriving(i);  // the last one takes its place: look at index i again
      continue;
    }
    if (deadline > 0 && (earliest <= 0 || deadline < earliest)) earliest = deadline;
    ++i;
  }
  earliest_deadline_ = earliest;
}

void Inbox::body_ended(std::size_t index, bool lost) {
  ended().push_back(Ended{this, take_arriving(index), lost});
  if (ended_timer() == nullptr)
    ended_timer() = simgrid::kernel::timer::Timer::set(sg4::Engine::get_clock(), [] {
      ended_timer() = nullptr;  // SimGrid frees a timer once it has fired
      hand_over_ended();
    });
}

void Inbox::hand_over_ended() {
  // Taken out first: an express handler may start transfers whose bodies end later.
  std::vector<Ended> list;
  list.swap(ended());
  for (const Ended& e : list) {
    if (e.message == nullptr) continue;  // its inbox dropped it
    if (e.lost) {
      delete e.message;
      continue;
    }
    e.message->body = nullptr;
    e.inbox->hand_over(e.message);
  }
}

Message* Inbox::receive(double timeout) {
  for (std::size_t i = 0; i <= depth_; ++i)
    if (!pending_[i]) post(i);
  const double deadline = timeout < 0 ? -1.0 : sg4::Engine::get_clock() + timeout;
  const auto left = [deadline] { return deadline < 0 ? -1.0 : std::max(0.0, deadline - sg4::Engine::get_clock()); };
  // However the wait ends (a kill unwinds it), the owner no longer watches.
  struct Watch {
    bool& flag;
    ~Watch() { flag = false; }
  };
  while (true) {
    cut_off_late(sg4::Engine::get_clock());
    if (transfers_ > 0) {
      // Transfers on their way: the pending receives (and the wake receive). With a message
      // handed over already, only a look at what is in.
      ssize_t index;
      try {
        if (!wake_ && !nudging_) wake_ = wake_box_->put_init(&wake_token, static_cast<std::uint64_t>(kMinimumWireBytes));
        const Watch watch{watching_};
        watching_ = direct_.empty();
        index = sg4::Comm::wait_any_for(pending_, direct_.empty() ? left() : 0.0);
      } catch (const simgrid::NetworkFailureException&) {
        // A watched transfer failed (its sender, or a link on its way, died): SimGrid marked
        // it FAILED; drop it and keep watching.
        for (std::size_t i = 0; i <= depth_; ++i)
          if (pending_[i]->get_state() == sg4::Activity::State::FAILED) {
            if (i == depth_)
              nudging_ = false;
            else if (transfers_ > 0)
              --transfers_;
            post(i);
          }
        continue;
      }
      if (index >= 0) {
        const auto slot = static_cast<std::size_t>(index);
        Message* m = payloads_[slot];
        post(slot);
        if (slot == depth_) {  // woken: a message was handed over
          nudging_ = false;
          continue;
        }
        if (transfers_ > 0) --transfers_;
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
    if (timed_out && direct_.empty() && transfers_ == 0) {  // the time is up
      cut_off_late(sg4::Engine::get_clock());
      return nullptr;
    }
  }
}

void Inbox::discard_all() {
  for (auto& comm : pending_) comm = nullptr;  // receives of the dead owner died with it
  mailbox_->clear();
  wake_box_->clear();
  transfers_ = 0;
  nudging_ = false;
  wake_ = nullptr;
  for (Message* m : direct_) delete m;
  direct_.clear();
  while (!arriving_.empty()) drop_arriving(arriving_.size() - 1);
  earliest_deadline_ = 0;
  for (auto& e : ended())
    if (e.inbox == this) {
      delete e.message;
      e.message = nullptr;
    }
}

}  // namespace archsim

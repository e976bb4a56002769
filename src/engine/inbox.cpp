#include "engine/inbox.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include <simgrid/kernel/Timer.hpp>
#include <simgrid/kernel/resource/Action.hpp>
#include <spdlog/spdlog.h>

#include "core/flat_map.hpp"
#include "engine/host_data.hpp"

namespace archsim {

namespace {
FlatMap<const sg4::Mailbox*, Inbox*>& inboxes() {
  static FlatMap<const sg4::Mailbox*, Inbox*> map;
  return map;
}

// The transfers in progress, by their SimGrid activity (what the network action reports).
struct Transfer {
  Inbox* inbox = nullptr;  // awaiting it
  std::size_t index = 0;   // there, the message's place in arriving_
};
FlatMap<const void*, Transfer>& transfers() {
  static FlatMap<const void*, Transfer> map;
  return map;
}
const void* key_of(const Message* m) { return m->body->get_impl(); }

// Transfers pile up only where a link is offered more bytes than it carries: SimGrid
// shares its bandwidth among all of them, and re-shares it whenever one starts or ends, so
// each costs in proportion to their number and the run slows down as they grow. Said once
// per tenfold growth, from ten thousand on.
constexpr std::size_t kFirstPileUpWarning = 10000;
std::size_t& next_pile_up_warning() {
  static std::size_t next = kFirstPileUpWarning;
  return next;
}
void warn_if_piling_up(std::size_t in_flight) {
  std::size_t& next = next_pile_up_warning();
  if (in_flight < next) return;
  next *= 10;
  spdlog::warn(
      "{} network transfers in flight at t = {:.6g} s: a link is offered more than its bandwidth, and each "
      "transfer that starts or ends re-shares it among all of them, so the run slows down as they pile up "
      "(the results' NIC utilisation shows which host; a lower load or a faster NIC lifts it)",
      in_flight, sg4::Engine::get_clock());
}

// Transfers that ended, handed over by a timer at the same date: a network action reports
// its end while SimGrid updates its model (or turns a host or link off), where no transfer
// may start and no message be let go.
struct Ended {
  Inbox* inbox;
  Message* message;  // nullptr once its inbox dropped it
  bool lost;
  bool long_message;
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
        const Action::State state = action.get_state();
        if (state != Action::State::FINISHED && state != Action::State::FAILED) return;
        const std::optional<Transfer> transfer = transfers().take(action.get_activity());
        if (!transfer) return;
        // A host going down cancels the transfers to and from it: they fail.
        transfer->inbox->transfer_ended(transfer->index, state == Action::State::FAILED);
      });
}

Inbox::Inbox(sg4::Mailbox* mailbox) : mailbox_(mailbox), doorbell_(sg4::Semaphore::create(0)) {
  inboxes()[mailbox] = this;
}

Inbox::~Inbox() {
  if (alarm_) alarm_->remove();  // its owner was still waiting
  // The messages on their way are let go (their transfers run on, unawaited).
  for (const Arriving& a : arriving_) {
    transfers().erase(key_of(a.message));
    delete a.message;
  }
  for (Message* m : direct_) delete m;
  drop_ended();
  Inbox** registered = inboxes().find(mailbox_);
  if (registered != nullptr && *registered == this) inboxes().erase(mailbox_);
}

Inbox* Inbox::of(const sg4::Mailbox* mailbox) {
  Inbox** registered = inboxes().find(mailbox);
  return registered == nullptr ? nullptr : *registered;
}

void Inbox::forget_all_transfers() {
  transfers().clear();
  next_pile_up_warning() = kFirstPileUpWarning;
  for (const Ended& e : ended()) delete e.message;
  ended().clear();
  if (ended_timer()) {
    ended_timer()->remove();
    ended_timer() = nullptr;
  }
}

void Inbox::bind() {
  doorbell_ = sg4::Semaphore::create(0);
  sleeping_ = rung_ = woken_ = false;
  express_ = nullptr;
}

void Inbox::hand_over(Message* message) {
  if (express_ && sleeping_ && !rung_ && direct_.empty() && express_(message)) return;
  direct_.push_back(message);
  ring();
}

void Inbox::await(Message* message, bool long_message) {
  listen_to_transfers();
  transfers()[key_of(message)] = Transfer{this, arriving_.size()};
  warn_if_piling_up(transfers().size());
  arriving_.push_back(Arriving{message, long_message});
  if (long_message && message->deadline > 0 &&
      (earliest_deadline_ <= 0 || message->deadline < earliest_deadline_))
    earliest_deadline_ = message->deadline;
}

Message* Inbox::take_arriving(std::size_t index) {
  Message* m = arriving_[index].message;
  if (index + 1 != arriving_.size()) {
    arriving_[index] = arriving_.back();
    if (Transfer* moved = transfers().find(key_of(arriving_[index].message))) moved->index = index;
  }
  arriving_.pop_back();
  return m;
}

std::unique_ptr<Message> Inbox::take_to_cut(std::size_t index) {
  std::unique_ptr<Message> m(take_arriving(index));
  transfers().erase(key_of(m.get()));  // the cut is not an end to report
  return m;
}

void Inbox::cut(const std::vector<std::unique_ptr<Message>>& messages) {
  // Each call below lets other actors run (a fault may end another transfer of this inbox,
  // a kill may unwind this actor): the messages are out of arriving_ and owned by the
  // caller before the first one.
  for (const auto& m : messages) {
    // What was not sent yet does not cross the NICs after all (0 if the transfer ended).
    const double unsent = m->body->get_remaining();
    if (unsent > 0 && m->body->get_source() != m->body->get_destination()) {
      if (auto* data = HostData::of(m->body->get_source())) data->nic_out_bytes -= unsent;
      if (auto* data = HostData::of(m->body->get_destination())) data->nic_in_bytes -= unsent;
    }
    // A transfer in progress fails as if its link broke; one that ended is left as it is.
    m->body->cancel();
  }
}

void Inbox::cut_off_late(double now) {
  if (earliest_deadline_ <= 0 || now < earliest_deadline_) return;
  double earliest = 0;
  std::vector<std::unique_ptr<Message>> late;
  for (std::size_t i = 0; i < arriving_.size();) {
    const Arriving& a = arriving_[i];
    if (caller_hung_up(*a.message, a.long_message, now)) {
      late.push_back(take_to_cut(i));  // the last one takes its place: look at index i again
      continue;
    }
    const double deadline = a.message->deadline;
    if (a.long_message && deadline > 0 && (earliest <= 0 || deadline < earliest)) earliest = deadline;
    ++i;
  }
  earliest_deadline_ = earliest;
  cut(late);
}

void Inbox::drop_ended() {
  for (auto& e : ended())
    if (e.inbox == this) {
      delete e.message;
      e.message = nullptr;
    }
}

void Inbox::transfer_ended(std::size_t index, bool lost) {
  const bool long_message = arriving_[index].long_message;
  ended().push_back(Ended{this, take_arriving(index), lost, long_message});
  if (ended_timer() == nullptr)
    ended_timer() = simgrid::kernel::timer::Timer::set(sg4::Engine::get_clock(), [] {
      ended_timer() = nullptr;  // SimGrid frees a timer once it has fired
      hand_over_ended();
    });
}

void Inbox::hand_over_ended() {
  // Taken out first: an express handler may start transfers that end later.
  std::vector<Ended> list;
  list.swap(ended());
  const double now = sg4::Engine::get_clock();
  for (const Ended& e : list) {
    if (e.message == nullptr) continue;  // its inbox dropped it
    // A long message whose caller hung up before its last byte came in is cut off, as it
    // would have been while in transfer.
    if (e.lost || caller_hung_up(*e.message, e.long_message, now)) {
      delete e.message;
      continue;
    }
    e.message->body = nullptr;
    e.inbox->hand_over(e.message);
  }
}

Message* Inbox::receive(double timeout) {
  const double deadline = timeout < 0 ? -1.0 : sg4::Engine::get_clock() + timeout;
  // However the wait ends (a kill unwinds it), the owner no longer sleeps on the doorbell
  // and its alarm is off.
  struct Asleep {
    Inbox& inbox;
    ~Asleep() {
      inbox.sleeping_ = false;
      if (inbox.alarm_) {
        inbox.alarm_->remove();
        inbox.alarm_ = nullptr;
      }
    }
  };
  while (true) {
    cut_off_late(sg4::Engine::get_clock());
    if (!direct_.empty()) {
      Message* m = direct_.front();
      direct_.pop_front();
      return m;
    }
    bool timed_out;
    {
      const Asleep asleep{*this};
      sleeping_ = true;
      rung_ = false;
      const double wait = deadline < 0 ? -1.0 : std::max(0.0, deadline - sg4::Engine::get_clock());
      if (wait < 0) {
        doorbell_->acquire();
        timed_out = false;
      } else if (wait == 0) {
        timed_out = doorbell_->acquire_timeout(0);
      } else {
        // The time limit is a kernel timer that rings the doorbell: a semaphore's own
        // timeout would cost a sleep action in the CPU model for every timed receive.
        alarm_ = simgrid::kernel::timer::Timer::set(deadline, [this] {
          alarm_ = nullptr;  // SimGrid frees a timer once it has fired
          ring();
        });
        doorbell_->acquire();
        timed_out = sg4::Engine::get_clock() >= deadline;
      }
    }
    if (woken_ && direct_.empty()) {
      woken_ = false;
      return nullptr;
    }
    woken_ = false;
    if (timed_out && direct_.empty()) {  // the time is up
      cut_off_late(sg4::Engine::get_clock());
      return nullptr;
    }
  }
}

void Inbox::discard_all() {
  for (Message* m : direct_) delete m;
  direct_.clear();
  std::vector<std::unique_ptr<Message>> all;
  while (!arriving_.empty()) all.push_back(take_to_cut(arriving_.size() - 1));
  earliest_deadline_ = 0;
  cut(all);
  drop_ended();
}

}  // namespace archsim

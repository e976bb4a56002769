#include "kinds/queue/group_queue.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace archsim::kinds::queue {

GroupQueue::GroupQueue(const Config& config)
    : config_(config), parts_(static_cast<std::size_t>(std::max(1, config.partitions))) {}

void GroupQueue::add(std::uint64_t id, std::uint64_t key, int partition, double published_at) {
  Entry entry;
  entry.key = key;
  entry.partition = partition;
  entry.published_at = published_at;
  auto [it, inserted] = entries_.emplace(id, entry);
  if (!inserted) return;
  ++counts_.added;
  ++ready_;
  order_.emplace_back(published_at, id);
  if (config_.per_key && (holder_.count(key) || blocked_.count(key))) {
    it->second.state = State::Blocked;
    blocked_[key].push_back(id);
    return;
  }
  parts_[static_cast<std::size_t>(partition)].ready.push_back(id);
}

std::optional<GroupQueue::Delivery> GroupQueue::take(int partition, double t) {
  auto& ready = parts_[static_cast<std::size_t>(partition)].ready;
  while (!ready.empty()) {
    const std::uint64_t id = ready.front();
    ready.pop_front();
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.state != State::Ready) continue;  // ended or moved meanwhile
    Entry& entry = it->second;
    if (entry.overdue) {  // back after its retention ran out
      ++counts_.expired;
      finish(it);
      just_expired_.push_back(id);
      continue;
    }
    if (config_.per_key) {
      const auto holder = holder_.find(entry.key);
      if (holder != holder_.end() && holder->second != id) {
        entry.state = State::Blocked;
        blocked_[entry.key].push_back(id);
        continue;
      }
      holder_[entry.key] = id;
    }
    --ready_;
    ++in_flight_;
    entry.state = State::InFlight;
    ++entry.attempts;
    entry.token = ++next_token_;
    ++counts_.delivered;
    if (entry.attempts > 1) ++counts_.redelivered;
    parts_[static_cast<std::size_t>(partition)].visible_at.push({t + config_.visibility_s, id, entry.token});
    return Delivery{id, entry.token, partition, entry.attempts};
  }
  return std::nullopt;
}

GroupQueue::Verdict GroupQueue::ack(std::uint64_t id, std::uint64_t token) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.state != State::InFlight || it->second.token != token) {
    ++counts_.stale;
    return Verdict::Stale;
  }
  ++counts_.acknowledged;
  finish(it);
  return Verdict::Done;
}

GroupQueue::Verdict GroupQueue::fail(std::uint64_t id, std::uint64_t token, double t) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.state != State::InFlight || it->second.token != token) {
    ++counts_.stale;
    return Verdict::Stale;
  }
  ++counts_.failed;
  Entry& entry = it->second;
  if (entry.attempts >= config_.max_deliveries) {
    ++counts_.dead_lettered;
    finish(it);
    return Verdict::DeadLetter;
  }
  --in_flight_;
  ++delayed_;
  entry.state = State::Delayed;
  entry.token = ++next_token_;
  parts_[static_cast<std::size_t>(entry.partition)].delayed.push({t + backoff(entry.attempts), id, entry.token});
  return Verdict::Retry;
}

double GroupQueue::backoff(int attempt) const {
  const double b = config_.backoff_s * std::pow(config_.multiplier, std::max(0, attempt - 1));
  return std::min(b, config_.max_backoff_s);
}

bool GroupQueue::current(const std::unordered_map<std::uint64_t, Entry>& entries, const Timer& timer, State state) {
  const auto it = entries.find(timer.id);
  return it != entries.end() && it->second.state == state && it->second.token == timer.token;
}

void GroupQueue::advance(int partition, double t, const std::function<void(std::uint64_t)>& dead_lettered,
                         const std::function<void(std::uint64_t)>& given_up) {
  Partition& part = parts_[static_cast<std::size_t>(partition)];
  while (!part.delayed.empty() && part.delayed.top().due <= t) {
    const Timer timer = part.delayed.top();
    part.delayed.pop();
    if (!current(entries_, timer, State::Delayed)) continue;
    Entry& entry = entries_[timer.id];
    --delayed_;
    ++ready_;
    make_ready(timer.id, entry, false);
  }
  while (!part.visible_at.empty() && part.visible_at.top().due <= t) {
    const Timer timer = part.visible_at.top();
    part.visible_at.pop();
    if (!current(entries_, timer, State::InFlight)) continue;
    auto it = entries_.find(timer.id);
    ++counts_.timed_out;
    if (given_up) given_up(timer.token);
    if (it->second.attempts >= config_.max_deliveries) {
      ++counts_.dead_lettered;
      finish(it);
      dead_lettered(timer.id);
      continue;
    }
    --in_flight_;
    ++ready_;
    it->second.token = ++next_token_;
    make_ready(timer.id, it->second, true);
  }
}

void GroupQueue::make_ready(std::uint64_t id, Entry& entry, bool front) {
  entry.state = State::Ready;
  auto& ready = parts_[static_cast<std::size_t>(entry.partition)].ready;
  // A message back from a retry or a timeout keeps its key (per_key): it goes first.
  if (front || config_.per_key)
    ready.push_front(id);
  else
    ready.push_back(id);
}

double GroupQueue::next_due(int partition) const {
  const Partition& part = parts_[static_cast<std::size_t>(partition)];
  double due = std::numeric_limits<double>::infinity();
  if (!part.delayed.empty()) due = std::min(due, part.delayed.top().due);
  if (!part.visible_at.empty()) due = std::min(due, part.visible_at.top().due);
  return due;
}

void GroupQueue::leave_state(const Entry& entry) {
  switch (entry.state) {
    case State::Ready:
    case State::Blocked: --ready_; break;
    case State::Delayed: --delayed_; break;
    case State::InFlight: --in_flight_; break;
  }
}

void GroupQueue::finish(std::unordered_map<std::uint64_t, Entry>::iterator it) {
  const std::uint64_t id = it->first;
  const Entry entry = it->second;
  leave_state(entry);
  entries_.erase(it);
  if (!config_.per_key) return;
  if (entry.state == State::Blocked) return;  // still queued behind its key's holder: skipped there
  const auto holder = holder_.find(entry.key);
  if (holder == holder_.end() || holder->second != id) return;
  holder_.erase(holder);
  // The next message of the key, in publish order, goes first in its partition.
  auto queued = blocked_.find(entry.key);
  while (queued != blocked_.end() && !queued->second.empty()) {
    const std::uint64_t next = queued->second.front();
    queued->second.pop_front();
    auto n = entries_.find(next);
    if (n == entries_.end() || n->second.state != State::Blocked) continue;
    n->second.state = State::Ready;
    holder_[entry.key] = next;  // it holds the key from now: nothing of the key overtakes it
    parts_[static_cast<std::size_t>(n->second.partition)].ready.push_front(next);
    break;
  }
  if (queued != blocked_.end() && queued->second.empty()) blocked_.erase(queued);
}

void GroupQueue::lose(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  ++counts_.lost;
  finish(it);
}

void GroupQueue::expire(double t, double retention_s, const std::function<void(std::uint64_t)>& expired) {
  std::vector<std::uint64_t> ended;
  ended.swap(just_expired_);
  std::vector<std::uint64_t> still_out;
  for (std::uint64_t id : overdue_) {
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;  // acknowledged, dead-lettered or lost meanwhile
    if (it->second.state == State::InFlight) {
      still_out.push_back(id);
      continue;
    }
    ++counts_.expired;
    finish(it);
    ended.push_back(id);
  }
  overdue_.swap(still_out);
  while (!order_.empty() && order_.front().first + retention_s <= t) {
    const std::uint64_t id = order_.front().second;
    order_.pop_front();
    auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    if (it->second.state == State::InFlight) {
      it->second.overdue = true;
      overdue_.push_back(id);
      continue;
    }
    ++counts_.expired;
    finish(it);
    ended.push_back(id);
  }
  for (std::uint64_t id : ended) expired(id);
}

std::optional<double> GroupQueue::oldest_published() {
  while (!order_.empty() && entries_.count(order_.front().second) == 0) order_.pop_front();
  if (order_.empty()) return std::nullopt;
  return order_.front().first;
}

}  // namespace archsim::kinds::queue

#pragma once
// What a broker keeps for one consumer group of one topic: which messages wait, which are
// in flight with which member and until when, which wait out a retry's backoff, and how
// each ended. A plain class: the broker's dispatcher (queue_runtime.cpp) drives it with
// the simulated time.
//
//  - add(): a stored message waits for delivery, in publish order per partition.
//  - take(): the next message of a partition that may go now. With per_key ordering a key
//    has at most one message out at a time (in flight or waiting out a retry); the later
//    messages of a busy key step aside, in order, until it frees.
//  - A delivery ends with ack() (done), fail() (retried after a backoff that grows by
//    `multiplier` per attempt up to max_backoff_s, or dead-lettered after max_deliveries
//    attempts) or, if neither comes within the visibility timeout, with advance(): the
//    message is visible again at once (or dead-lettered if it has had its deliveries). A
//    late answer to a delivery that was given up (its token is old) is stale.
//  - lose() and expire(): the broker lost the message, or its retention ran out. A message
//    in flight when its retention runs out is left to its consumer: it expires only if it
//    comes back (a failure or a visibility timeout) before it is acknowledged.
// Every message a group was given ends in exactly one of: acknowledged, waiting, in flight,
// dead-lettered, lost, expired (the run's invariant).
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace archsim::kinds::queue {

class GroupQueue {
 public:
  struct Config {
    int partitions = 1;
    bool per_key = false;
    int max_deliveries = 1;
    double visibility_s = 0;
    double backoff_s = 0;
    double multiplier = 1;
    double max_backoff_s = 0;
  };
  struct Delivery {
    std::uint64_t id = 0;
    std::uint64_t token = 0;  // this delivery's, to tell its answer from a late one
    int partition = 0;
    int attempt = 0;          // 1 for the first delivery
  };
  enum class Verdict { Done, Retry, DeadLetter, Stale };
  struct Counts {
    std::uint64_t added = 0;
    std::uint64_t acknowledged = 0;
    std::uint64_t dead_lettered = 0;
    std::uint64_t lost = 0;
    std::uint64_t expired = 0;
    std::uint64_t delivered = 0;      // deliveries, first ones and again
    std::uint64_t redelivered = 0;    // deliveries after the first
    std::uint64_t timed_out = 0;      // visibility timeouts
    std::uint64_t failed = 0;         // failed deliveries (negative acknowledgements)
    std::uint64_t stale = 0;          // answers to deliveries already given up
  };

  explicit GroupQueue(const Config& config);

  void add(std::uint64_t id, std::uint64_t key, int partition, double published_at);
  std::optional<Delivery> take(int partition, double t);
  Verdict ack(std::uint64_t id, std::uint64_t token);
  Verdict fail(std::uint64_t id, std::uint64_t token, double t);
  // Up to `t` for `partition`: retries whose backoff is over wait again, deliveries past
  // their visibility timeout are given up. Calls `dead_lettered` for each message that
  // had had its deliveries, and `given_up` with the token of each delivery given up.
  void advance(int partition, double t, const std::function<void(std::uint64_t)>& dead_lettered,
               const std::function<void(std::uint64_t)>& given_up = nullptr);
  // When advance() next has something to do for `partition` (infinity: nothing pending).
  double next_due(int partition) const;
  // Whether `partition` may have a message to take (an exact answer needs take()).
  bool maybe_ready(int partition) const { return !parts_[static_cast<std::size_t>(partition)].ready.empty(); }
  void lose(std::uint64_t id);
  // At time `t`, messages published `retention_s` or more before end as expired (those in
  // flight once they come back); `expired` is called for each. (published + retention <= t,
  // the sum the dispatcher wakes at: t - retention could round below the publish time.)
  void expire(double t, double retention_s, const std::function<void(std::uint64_t)>& expired);

  // The backoff before attempt `attempt` + 1, after attempt `attempt` failed.
  double backoff(int attempt) const;
  // When the oldest message the group has not finished was published (nullopt: none).
  std::optional<double> oldest_published();
  bool holds(std::uint64_t id) const { return entries_.count(id) > 0; }

  std::uint64_t waiting() const { return ready_ + delayed_; }
  std::uint64_t in_flight() const { return in_flight_; }
  const Counts& counts() const { return counts_; }

 private:
  enum class State { Ready, Blocked, Delayed, InFlight };
  struct Entry {
    std::uint64_t key = 0;
    int partition = 0;
    State state = State::Ready;
    int attempts = 0;
    std::uint64_t token = 0;
    double published_at = 0;
    bool overdue = false;  // its retention ran out while it was in flight
  };
  struct Timer {
    double due;
    std::uint64_t id;
    std::uint64_t token;
    bool operator>(const Timer& other) const { return due > other.due; }
  };
  using TimerHeap = std::priority_queue<Timer, std::vector<Timer>, std::greater<>>;
  struct Partition {
    std::deque<std::uint64_t> ready;  // may hold ids that ended meanwhile: skipped
    TimerHeap delayed;                // retries, by due time
    TimerHeap visible_at;             // deliveries, by visibility deadline
  };

  // Takes `id` out for good, letting the next message of its key go.
  void finish(std::unordered_map<std::uint64_t, Entry>::iterator it);
  void leave_state(const Entry& entry);
  void make_ready(std::uint64_t id, Entry& entry, bool front);
  static bool current(const std::unordered_map<std::uint64_t, Entry>& entries, const Timer& timer, State state);

  Config config_;
  std::vector<Partition> parts_;
  std::unordered_map<std::uint64_t, Entry> entries_;
  std::unordered_map<std::uint64_t, std::uint64_t> holder_;             // per_key: key -> the message out
  std::unordered_map<std::uint64_t, std::deque<std::uint64_t>> blocked_;  // per_key: key -> messages behind it
  std::deque<std::pair<double, std::uint64_t>> order_;                  // publish order, for lag and retention
  std::vector<std::uint64_t> overdue_;       // in flight when their retention ran out
  std::vector<std::uint64_t> just_expired_;  // expired by take(): expire() reports them
  std::uint64_t next_token_ = 0;
  std::uint64_t ready_ = 0;  // Ready and Blocked
  std::uint64_t delayed_ = 0;
  std::uint64_t in_flight_ = 0;
  Counts counts_;
};

}  // namespace archsim::kinds::queue

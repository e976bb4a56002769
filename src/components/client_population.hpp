#pragma once
// A population of clients, simulated by one event-driven actor on its own host (so that
// a million users cost a table entry each, not an actor each):
//  - open loop: requests arrive as a (possibly time-varying) Poisson process, whatever
//    happens to earlier requests;
//  - closed loop: N users each send a request, wait for its outcome, think, and repeat.
// Each request picks an operation from the mix, a data key (uniform or Zipf) and a session
// (sessions end after a geometric number of requests), and goes to a replica of the target
// service. An attempt fails with cause "timeout" if no reply comes within the client's
// timeout (a late reply is then ignored, as a client that gave up ignores it). Failed
// attempts may be retried with exponential backoff, jitter and a retry budget; a request's
// latency runs from its first attempt to its final outcome.
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>
#include <simgrid/s4u.hpp>

#include "components/access_log.hpp"
#include "components/arrival_process.hpp"
#include "components/key_space.hpp"
#include "components/operation_mix.hpp"
#include "components/retry_policy.hpp"
#include "components/timer_queue.hpp"
#include "core/flat_map.hpp"
#include "core/rng.hpp"
#include "engine/inbox.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class RunContext;

class ClientPopulation {
 public:
  // `first_operation`: global index of this population's first operation (for metrics).
  ClientPopulation(RunContext& run, const ClientSpec& spec, int first_operation, sg4::Host* host);

  // Starts the population's actor; `done` is called from it once the measured period is
  // over and its last request has settled.
  void start(std::function<void()> done);
  // Requests sent after the warm-up and still waiting for an outcome, per operation.
  std::vector<std::uint64_t> in_flight_measured_by_operation() const;
  const ClientSpec& spec() const { return spec_; }
  nlohmann::ordered_json report() const;
  // Bytes of the replies received over the measured period (what the target sent out).
  double reply_bytes() const { return reply_bytes_; }

 private:
  struct Pending {
    int op = 0;     // index in spec_.operations
    int user = -1;  // closed loop: who sent it; -1 for open loop
    double first_sent_at = 0;
    int attempt = 1;  // 1-based
    std::uint64_t key = 0;
    std::uint64_t session = 0;
    bool session_ends = false;
    int last_replica = -1;  // where the previous attempt went: a retry tries another
    std::uint64_t trace_span = 0;  // traced requests: the span's id (0: not traced)
    double response_bytes = -1;    // a replayed request's size; < 0: the operation's
  };
  enum class TimerKind : std::uint8_t { Deadline, UserWakes, Retry };
  struct Timer {
    double at;
    TimerKind kind;
    std::uint64_t id;  // attempt id (Deadline), user (UserWakes), backoff token (Retry)
    bool operator>(const Timer& other) const { return at > other.at || (at == other.at && id > other.id); }
  };

  void main_loop();
  // The next open-loop arrival after `t`, or +infinity once the measured period is over.
  double next_arrival_after(double t);
  // A replayed log's next request (into logged_), or +infinity when none comes before the end.
  double next_logged();
  void new_request(int user);
  void send_attempt(Pending pending);
  // Ends the attempt `reply` answers, counting its bytes, and frees it.
  void settle(Message* reply);
  void attempt_ended(std::uint64_t id, Outcome outcome);
  void end_request(const Pending& pending, Outcome outcome);
  void handle_timer(const Timer& timer);
  std::uint64_t next_session();

  RunContext& run_;
  const ClientSpec& spec_;
  int first_operation_;
  sg4::Host* host_;
  RandomStream rng_;
  OperationMix mix_;
  ArrivalProcess arrivals_;
  KeySpace keys_;
  std::unique_ptr<AccessLog> log_;  // a replayed log
  AccessLog::Entry logged_;          // its next request
  RetryPolicy retry_;
  Inbox inbox_;
  double waiting_until_ = 0;  // when the main loop, waiting for replies, wakes next
  std::vector<std::uint64_t> sessions_;  // open loop: the active sessions; closed loop: per user
  std::uint64_t last_session_ = 0;
  FlatMap<std::uint64_t, Pending> pending_;     // attempts in flight, by attempt id
  FlatMap<std::uint64_t, Pending> backing_off_;  // waiting to retry, by token
  TimerQueue<Timer> timers_;  // deadlines in order, the rest in a heap
  double next_arrival_ = std::numeric_limits<double>::infinity();
  int trace_track_ = 0;
  std::uint64_t requests_ = 0;         // all, for trace sampling
  std::uint64_t attempts_ = 0;         // measured
  std::uint64_t retries_ = 0;          // measured
  std::uint64_t retries_denied_ = 0;   // measured
  double reply_bytes_ = 0;             // measured
};

}  // namespace archsim

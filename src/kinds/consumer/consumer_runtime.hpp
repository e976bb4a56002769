#pragma once
// The consumer kind, run-time side (see consumer_kind.hpp for what a scenario says). Each
// replica is a member of the group: the broker pushes it deliveries as requests, which its
// workers (concurrency) take from its local queue (prefetch); the reply to a delivery is
// the acknowledgement, negative on failure.
//
// What the group reports besides the broker's counts:
//  - duplicates delivered: deliveries of a message the group had been given before;
//  - side effects applied twice: a message for which a step with an effect outside the
//    consumer (a write, a call to a write endpoint, a publish, a notify) completed in two
//    deliveries. With idempotency, a delivery whose message was recorded as processed
//    runs no steps (suppressed); an effect can still repeat when a member dies between
//    the effect and the record, or two deliveries overlap;
//  - out of order: a message processed after a later message of the same key;
//  - per notification flow, the end-to-end time from the client's request to the
//    notification's arrival (the path's latency and the client link's bandwidth after it
//    is sent), once per message.
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "components/service_runtime.hpp"
#include "kinds/consumer/consumer_kind.hpp"
#include "kinds/queue/queue_kind.hpp"
#include "recording/histogram.hpp"

namespace archsim {
class RunContext;
class Service;
class ServiceReplica;
}  // namespace archsim

namespace archsim::kinds::consumer {

class ConsumerRuntime : public ServiceRuntime {
 public:
  ConsumerRuntime(RunContext& run, Service& service);

  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica& replica) override;
  void replica_state_changed(ServiceReplica& replica) override;
  nlohmann::ordered_json report(double end) const override;

  // A delivery, in a worker of `context.replica`.
  Outcome serve(StepContext& context);
  // The member's process stopped: at most once, what it had acknowledged and not
  // processed is lost (the broker counts it).
  void stopped(ServiceReplica& replica);
  // A notify step of the delivery being processed in `context`.
  void notify(StepContext& context, const queue::NotifyStep& step);

 private:
  struct Effects {
    std::uint64_t applied = 0;  // bit i: effect step i completed in some delivery
    int deliveries = 0;
    bool recorded = false;      // the idempotency record was written
    bool twice = false;         // counted among the messages with effects applied twice
    bool completed = false;     // processed to the end once
    bool notified = false;
  };
  Effects& effects_of(std::uint64_t id, double t);
  // A call of the idempotency store's `endpoint`, keyed by the message's id.
  Outcome idempotency_call(StepContext& context, int endpoint, int hop);
  bool poisoned(std::uint64_t id) const;
  void acknowledge_early(const Message& delivery);
  std::string group_name() const;

  RunContext& run_;
  Service& service_;
  const ConsumerOptions& options_;
  std::vector<bool> effect_step_;  // per top-level step of the group
  double linger_s_ = 0;            // how long a message's effects are remembered
  std::unordered_map<std::uint64_t, Effects> effects_;
  std::deque<std::pair<double, std::uint64_t>> remembered_;
  std::unordered_map<std::uint64_t, std::uint64_t> last_processed_;  // key -> latest message id processed
  // At most once, per member: the deliveries (group, token) acknowledged early and being
  // processed.
  std::vector<std::vector<std::pair<int, std::uint64_t>>> in_progress_;
  std::uint64_t processed_ = 0, failed_ = 0, poison_failures_ = 0, duplicates_delivered_ = 0, applied_twice_ = 0,
                suppressed_ = 0, out_of_order_ = 0;
  Histogram waited_;      // from publish to a worker taking the delivery
  Histogram processing_;  // the steps of a delivery that succeeded
  std::map<std::string, Histogram> end_to_end_;
  std::map<std::string, std::uint64_t> notifications_;
  std::map<std::string, int> trace_tracks_;  // per flow, when tracing
};

// Adds the consumer's runtime and the notify step's executor.
void add_to(RuntimeCatalog& catalog);

}  // namespace archsim::kinds::consumer

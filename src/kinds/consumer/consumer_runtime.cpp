#include "kinds/consumer/consumer_runtime.hpp"

#include <algorithm>

#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "engine/wire.hpp"
#include "kinds/load_balancer/balancing_policy.hpp"
#include "kinds/queue/queue_runtime.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::consumer {

namespace {

double now() { return sg4::Engine::get_clock(); }
// An idempotency check or record: the message id and a few headers each way.
constexpr double kIdempotencyBytes = 100;

class ConsumerBehavior : public ReplicaBehavior {
 public:
  explicit ConsumerBehavior(ConsumerRuntime& consumer) : consumer_(consumer) {}
  Outcome serve(StepContext& context) override { return consumer_.serve(context); }
  void on_stop(ServiceReplica& replica) override { consumer_.stopped(replica); }

 private:
  ConsumerRuntime& consumer_;
};

// Whether `step` (or a step inside it) acts outside the consumer: a write, a call to an
// endpoint that writes, a publish, a notification.
bool has_effect(const Step& top, const Scenario& scenario) {
  bool effect = false;
  for_each_step({top}, [&](const Step& step) {
    const std::string key = step.kind->key();
    if (key == "write_kb" || key == "notify") effect = true;
    if (const auto target = step.kind->target(step)) {
      if (target->service < 0 || target->endpoint < 0) return;
      const ServiceSpec& service = scenario.services[static_cast<std::size_t>(target->service)];
      if (service.endpoints[static_cast<std::size_t>(target->endpoint)].write) effect = true;
    }
  });
  return effect;
}

queue::QueueRuntime& broker_of(RunContext& run, const ConsumerOptions& options) {
  return static_cast<queue::QueueRuntime&>(run.service(options.queue).runtime());
}

nlohmann::ordered_json times_ms(const Histogram& h) {
  return {{"count", h.count()},
          {"mean", h.mean() * 1000.0},
          {"p50", h.percentile(0.5) * 1000.0},
          {"p90", h.percentile(0.9) * 1000.0},
          {"p99", h.percentile(0.99) * 1000.0},
          {"max", h.max() * 1000.0}};
}

}  // namespace

ConsumerRuntime::ConsumerRuntime(RunContext& run, Service& service)
    : run_(run), service_(service), options_(consumer_options(service.spec())) {
  for (const Step& step : service.spec().endpoints[kDeliver].steps)
    effect_step_.push_back(has_effect(step, run.scenario()));
  linger_s_ = std::max(60.0, 4.0 * options_.visibility_timeout_s);
  in_progress_.resize(static_cast<std::size_t>(service.spec().max_replicas));
}

std::unique_ptr<ReplicaBehavior> ConsumerRuntime::make_behavior(ServiceReplica&) {
  return std::make_unique<ConsumerBehavior>(*this);
}

void ConsumerRuntime::replica_state_changed(ServiceReplica&) { broker_of(run_, options_).members_changed(); }

std::string ConsumerRuntime::group_name() const { return service_.name(); }

ConsumerRuntime::Effects& ConsumerRuntime::effects_of(std::uint64_t id, double t) {
  while (!remembered_.empty() && remembered_.front().first + linger_s_ < t) {
    effects_.erase(remembered_.front().second);
    remembered_.pop_front();
  }
  auto [it, inserted] = effects_.try_emplace(id);
  if (inserted) remembered_.emplace_back(t, id);
  return it->second;
}

bool ConsumerRuntime::poisoned(std::uint64_t id) const {
  if (options_.poison_fraction <= 0) return false;
  // A property of the message for this group: the same on every delivery.
  const std::uint64_t h = mix_hash(id * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(service_.index()) + 1);
  return static_cast<double>(h >> 11) * 0x1.0p-53 < options_.poison_fraction;
}

void ConsumerRuntime::acknowledge_early(const Message& delivery) {
  auto* ack = new Message;
  ack->id = delivery.id;
  ack->reply_to = delivery.reply_to;
  ack->reply_host = delivery.reply_host;
  ack->channel = delivery.channel;
  ack->item = delivery.item;
  ack->sequence = delivery.sequence;
  ack->traced = delivery.traced;
  ack->reply = true;
  ack->early = true;
  ack->status = Outcome::Ok;
  send_message(ack->reply_to, ack->reply_host, ack, delivery.response_bytes);
}

Outcome ConsumerRuntime::idempotency_call(StepContext& context, int endpoint, int hop) {
  const IdempotencySpec& idem = *options_.idempotency;
  Service& store = run_.service(idem.service);
  const bool write = store.spec().endpoints[static_cast<std::size_t>(endpoint)].write;
  // Keyed by the message's id: a cache routes it to the node that holds that key.
  Message keyed;
  keyed.key = context.request.item;
  keyed.session = context.request.session;
  CallData by_id;
  by_id.has_key = true;
  by_id.key = keyed.key;
  return call_replica(context, store.route(keyed, write), endpoint, kIdempotencyBytes, kIdempotencyBytes,
                      idem.timeout_s, hop, &by_id);
}

Outcome ConsumerRuntime::serve(StepContext& context) {
  Message& delivery = context.request;
  const double started = now();
  const bool measured = run_.recorder().measured(started);
  const std::uint64_t id = delivery.item;
  const auto member = static_cast<std::size_t>(context.replica.index());
  Effects& first_look = effects_of(id, started);
  if (first_look.deliveries++ > 0 && measured) ++duplicates_delivered_;
  if (measured) waited_.record(started - delivery.origin_at);
  if (options_.ack_before) {
    acknowledge_early(delivery);
    in_progress_[member].emplace_back(delivery.channel, delivery.sequence);
  }

  Outcome outcome = Outcome::Ok;
  const bool poison = poisoned(id);
  if (poison || service_.rng().bernoulli(options_.fail_probability)) {
    outcome = Outcome::Failed;  // the handler gives up on the message at once
    if (measured) ++(poison ? poison_failures_ : failed_);
  }
  bool skip = false;
  if (outcome == Outcome::Ok && options_.idempotency) {
    outcome = idempotency_call(context, options_.idempotency->check_endpoint, options_.idempotency->check_hop);
    // The store answers whether the message's record exists: the record written so far.
    if (outcome == Outcome::Ok && effects_of(id, now()).recorded) {
      skip = true;
      if (measured) ++suppressed_;
    }
  }
  if (outcome == Outcome::Ok && !skip) {
    const std::vector<Step>& steps = service_.spec().endpoints[kDeliver].steps;
    RandomStream& rng = service_.rng();
    for (std::size_t i = 0; i < steps.size() && outcome == Outcome::Ok; ++i) {
      const Step& step = steps[i];
      if (step.probability < 1.0 && !rng.bernoulli(step.probability)) continue;
      outcome = run_.executor(step).execute(context, step);
      if (outcome != Outcome::Ok || !effect_step_[i] || i >= 64) continue;
      Effects& e = effects_of(id, now());
      const std::uint64_t bit = std::uint64_t{1} << i;
      if ((e.applied & bit) && !e.twice) {
        e.twice = true;
        if (run_.recorder().measured(now())) ++applied_twice_;
      }
      e.applied |= bit;
    }
    if (outcome == Outcome::Ok && options_.idempotency) {
      outcome = idempotency_call(context, options_.idempotency->record_endpoint, options_.idempotency->record_hop);
      if (outcome == Outcome::Ok) effects_of(id, now()).recorded = true;
    }
    if (outcome == Outcome::Ok) {
      Effects& e = effects_of(id, now());
      const bool counted = run_.recorder().measured(now());
      if (!e.completed) {
        e.completed = true;
        std::uint64_t& last = last_processed_[delivery.key];
        if (id < last) {
          if (counted) ++out_of_order_;
        } else {
          last = id;
        }
      }
      if (counted) {
        ++processed_;
        processing_.record(now() - started);
      }
    }
  }
  if (options_.ack_before) {
    // The reply tells the broker whether the message it let go was processed.
    auto& mine = in_progress_[member];
    const auto it = std::find(mine.begin(), mine.end(), std::make_pair(delivery.channel, delivery.sequence));
    if (it != mine.end()) mine.erase(it);
  }
  return outcome;
}

void ConsumerRuntime::stopped(ServiceReplica& replica) {
  auto& mine = in_progress_[static_cast<std::size_t>(replica.index())];
  for (const auto& [channel, token] : mine) broker_of(run_, options_).member_died_with(channel, token);
  mine.clear();
}

void ConsumerRuntime::notify(StepContext& context, const queue::NotifyStep& step) {
  const Message& delivery = context.request;
  if (!delivery.flow_host) return;  // not part of a client's flow
  Effects& e = effects_of(delivery.item, now());
  const std::string& flow = step.flow;
  const double link = run_.scenario().platform.network.client_bytes_per_s;
  const double arrival =
      now() + Wire::latency(context.replica.host(), delivery.flow_host) + (link > 0 ? step.message_bytes / link : 0.0);
  if (delivery.traced && run_.tracer().enabled()) {
    // A span from the notification's departure to its arrival, on a track of the flow's.
    auto track = trace_tracks_.find(flow);
    if (track == trace_tracks_.end()) track = trace_tracks_.emplace(flow, run_.tracer().track("notify " + flow)).first;
    const std::uint64_t span = run_.next_call_id();
    run_.tracer().begin(track->second, span, "notify." + flow, now());
    run_.tracer().end(track->second, span, arrival, Outcome::Ok);
  }
  if (e.notified) return;  // the client had it already: counted as an effect applied twice
  e.notified = true;
  if (!run_.recorder().measured(delivery.flow_start)) return;
  ++notifications_[flow];
  end_to_end_[flow].record(arrival - delivery.flow_start);
}

nlohmann::ordered_json ConsumerRuntime::report(double) const {
  nlohmann::ordered_json j;
  j["queue"] = run_.scenario().services[static_cast<std::size_t>(options_.queue)].name;
  j["topic"] = queue::queue_options(run_.scenario().services[static_cast<std::size_t>(options_.queue)])
                   .topics[static_cast<std::size_t>(options_.topic)]
                   .name;
  j["ack"] = options_.ack_before ? "before_processing" : "after_processing";
  j["ordering"] = options_.per_key ? "per_key" : "none";
  j["processed"] = processed_;
  j["failed_attempts"] = failed_;
  j["poison_attempts"] = poison_failures_;
  j["duplicates_delivered"] = duplicates_delivered_;
  j["effects_applied_twice"] = applied_twice_;
  j["suppressed_by_idempotency"] = suppressed_;
  j["out_of_order"] = out_of_order_;
  j["waited_ms"] = times_ms(waited_);
  j["processing_ms"] = times_ms(processing_);
  nlohmann::ordered_json flows = nlohmann::ordered_json::object();
  for (const auto& [flow, h] : end_to_end_) flows[flow] = times_ms(h);
  j["end_to_end_ms"] = flows;
  return j;
}

namespace {

class NotifyExecutor : public StepExecutor {
 public:
  Outcome execute(StepContext& context, const Step& step) const override {
    auto& consumer = static_cast<ConsumerRuntime&>(context.replica.service().runtime());
    consumer.notify(context, step.options_as<queue::NotifyStep>());
    return Outcome::Ok;
  }
};

}  // namespace

void add_to(RuntimeCatalog& catalog) {
  static const NotifyExecutor notify;
  catalog.add_service("consumer", [](Service& service, RunContext& run) -> std::unique_ptr<ServiceRuntime> {
    return std::make_unique<ConsumerRuntime>(run, service);
  });
  catalog.add_step("notify", notify);
}

}  // namespace archsim::kinds::consumer

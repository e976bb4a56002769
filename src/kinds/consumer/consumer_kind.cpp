#include "kinds/consumer/consumer_kind.hpp"

#include <memory>
#include <string>

#include "kinds/queue/queue_kind.hpp"
#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::consumer {

const ConsumerOptions& consumer_options(const ServiceSpec& service) { return service.options_as<ConsumerOptions>(); }

namespace {

class ConsumerKind : public ServiceKind {
 public:
  const char* name() const override { return "consumer"; }
  const char* report_section() const override { return "consumer"; }
  const char* reached_by() const override { return "its queue's deliveries"; }

  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder&) const override {
    auto options = std::make_shared<ConsumerOptions>();
    options->concurrency = node.at("concurrency").integer();
    options->prefetch = node.at("prefetch").integer();
    options->ack_before = node.at("ack").is("before_processing");
    options->visibility_timeout_s = node.at("visibility_timeout_ms").number() / 1000.0;
    options->max_deliveries = node.at("max_deliveries").integer();
    const Node retry = node.at("retry_backoff");
    options->backoff_s = retry.at("initial_ms").number() / 1000.0;
    options->backoff_multiplier = retry.at("multiplier").number();
    options->max_backoff_s = retry.at("max_ms").number() / 1000.0;
    options->fail_probability = node.at("fail_probability").number();
    options->poison_fraction = node.at("poison_fraction").number();
    options->per_key = node.at("ordering").is("per_key");
    service.workers = options->concurrency;
    // The broker never pushes a member more than `prefetch` messages: its local queue
    // holds the ones its workers have not taken yet.
    service.queue_limit = options->prefetch;
    service.endpoints = {{"deliver", {}, false}};
    service.options = options;
  }

  void resolve(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<ConsumerOptions>(consumer_options(service));
    service.options = options;
    options->queue = builder.service_named(node.at("queue"));
    if (options->queue < 0) return;
    const ServiceSpec& queue = builder.scenario().services[static_cast<std::size_t>(options->queue)];
    if (!queue.kind) {  // untyped: its own problems are reported
      options->queue = -1;
      return;
    }
    if (queue.kind != queue::queue_kind()) {
      builder.problem(node.at("queue"), "service " + queue.name + " is not a message queue (kind queue)");
      options->queue = -1;
      return;
    }
    if (!queue.options) return;
    options->topic = queue::topic_named(queue, node.at("topic"), builder);
  }

  void finish(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<ConsumerOptions>(consumer_options(service));
    const int self = builder.scenario().service_index(service.name);
    service.endpoints[kDeliver].steps = builder.steps(node.at("steps"), {self, false});
    for_each_step(service.endpoints[kDeliver].steps, [&](const Step& step) {
      if (step.kind && step.kind->ends_endpoint())
        builder.problem(node.pointer() + "/steps", std::string("a consumer cannot ") + step.kind->key() +
                                                       ": nobody waits for a delivery's reply but the broker");
    });
    if (node.has("idempotency")) {
      const Node idem = node.at("idempotency");
      IdempotencySpec spec;
      spec.timeout_s = idem.at("timeout_ms").number() / 1000.0;
      spec.service = builder.service_named(idem.at("service"));
      if (spec.service >= 0) {
        const ServiceSpec& store = builder.scenario().services[static_cast<std::size_t>(spec.service)];
        if (store.kind && store.kind->reached_by()) {
          builder.problem(idem.at("service"), std::string("service ") + store.name + " (kind " + store.kind->name() +
                                                  ") takes no calls: it is reached by " + store.kind->reached_by());
        } else {
          spec.check_endpoint = builder.endpoint_named(spec.service, idem.at("check"), idem.at("service"));
          spec.record_endpoint = builder.endpoint_named(spec.service, idem.at("record"), idem.at("service"));
          if (spec.check_endpoint >= 0) spec.check_hop = builder.hop(self, spec.service, spec.check_endpoint);
          if (spec.record_endpoint >= 0) spec.record_hop = builder.hop(self, spec.service, spec.record_endpoint);
          options->idempotency = spec;
        }
      }
    }
    service.options = options;
    const auto sound = [&](const std::string& key) { return !builder.broken(node.pointer() + key); };
    if (options->prefetch < options->concurrency && sound("/prefetch") && sound("/concurrency"))
      builder.problem_between(node.at("prefetch"),
                              "fewer messages pushed than workers (concurrency " + std::to_string(options->concurrency) +
                                  "): the extra workers would never work",
                              node.at("concurrency"),
                              "more workers than messages pushed (prefetch " + std::to_string(options->prefetch) +
                                  "): the extra workers would never work");
    const Node backoff = node.at("retry_backoff");
    if (options->max_backoff_s < options->backoff_s && sound("/retry_backoff"))
      builder.problem_between(backoff.at("max_ms"), "smaller than initial_ms", backoff.at("initial_ms"),
                              "larger than max_ms (" + backoff.at("max_ms").describe() + ")");
    if (service.max_replicas != service.replicas && options->per_key)
      builder.problem(node.pointer() + "/max_replicas", "ordering per_key assigns partitions to a fixed set of members");
  }

  // The idempotency calls of a delivery, besides its steps' calls.
  void edges(const ServiceSpec& service, int, const std::function<void(CallTarget)>& edge) const override {
    if (!service.options || !consumer_options(service).idempotency) return;
    const IdempotencySpec& idem = *consumer_options(service).idempotency;
    edge(CallTarget{idem.service, idem.check_endpoint});
    edge(CallTarget{idem.service, idem.record_endpoint});
  }

  // Its steps once per delivery (retries are not counted), and the idempotency calls.
  void demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const override {
    ServiceKind::demand(service, endpoint, weight, context);
    const ConsumerOptions& options = consumer_options(service);
    if (!options.idempotency) return;
    context.visit(options.idempotency->service, options.idempotency->check_endpoint, weight);
    context.visit(options.idempotency->service, options.idempotency->record_endpoint, weight);
  }

  // A worker per unit of concurrency, the acceptor and the supervisor.
  double resident_threads_per_replica(const ServiceSpec& service) const override {
    return consumer_options(service).concurrency + 2.0;
  }
  std::string resident_threads_setting(const ServiceSpec&) const override { return "/concurrency"; }
};

const ConsumerKind kind;

}  // namespace

const ServiceKind* consumer_kind() { return &kind; }

void add_to(Catalog& catalog) { catalog.add(kind); }

}  // namespace archsim::kinds::consumer

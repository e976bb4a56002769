#include "kinds/queue/queue_kind.hpp"

#include <memory>
#include <string>

#include "core/units.hpp"
#include "kinds/consumer/consumer_kind.hpp"
#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::queue {

const char* to_string(Commit commit) {
  switch (commit) {
    case Commit::PerMessage: return "per_message";
    case Commit::Group: return "group";
    case Commit::PageCache: return "page_cache";
  }
  return "?";
}

int QueueOptions::topic_index(const std::string& name) const {
  for (std::size_t t = 0; t < topics.size(); ++t)
    if (topics[t].name == name) return static_cast<int>(t);
  return -1;
}

const QueueOptions& queue_options(const ServiceSpec& service) { return service.options_as<QueueOptions>(); }

int topic_named(const ServiceSpec& queue, const Node& node, ScenarioBuilder& builder) {
  const QueueOptions& q = queue_options(queue);
  const int topic = q.topic_index(node.string());
  if (topic < 0 && !builder.broken(ScenarioBuilder::service_pointer(queue.name) + "/topics")) {
    std::vector<std::string> names;
    for (const auto& t : q.topics) names.push_back(t.name);
    builder.problem(node, "queue " + queue.name + " has no such topic" + ScenarioBuilder::suggestion(node.string(), names));
  }
  return topic;
}

namespace {

// Device seconds of one append of `bytes` on `host`'s disk under `options`' commit policy,
// amortised over the messages of a group commit.
double append_disk_s(const QueueOptions& options, const HostSpec& host, double bytes) {
  const double transfer = bytes / host.disk.write_bytes_per_s;
  switch (options.commit) {
    case Commit::PerMessage: return host.disk.seek_s + transfer;
    case Commit::Group: return host.disk.seek_s / options.group_batch + transfer;
    case Commit::PageCache: return transfer;
  }
  return transfer;
}

class QueueKind : public ServiceKind {
 public:
  const char* name() const override { return "queue"; }
  const char* report_section() const override { return "queue"; }
  const char* reached_by() const override { return "publish steps"; }
  const char* fixed_membership() const override {
    return "a broker cluster's membership is fixed: partitions are placed on its replicas";
  }

  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    service.workers = node.at("threads").integer();
    auto options = std::make_shared<QueueOptions>();
    options->acks_all = node.at("acks").is("all");
    options->replication_factor = node.at("replication_factor").integer();
    const Node log = node.at("log");
    options->commit = log.at("commit").is("group")        ? Commit::Group
                      : log.at("commit").is("page_cache") ? Commit::PageCache
                                                          : Commit::PerMessage;
    options->group_s = log.at("group_ms").number() / 1000.0;
    options->group_batch = log.at("group_batch").integer();
    options->flush_interval_s = log.at("flush_interval_ms").number() / 1000.0;
    // A setting of another commit: blamed on it, or on the commit when that changed last.
    const auto only_with = [&](const char* key, const char* commit) {
      if (log.at("commit").is(commit) || !builder.written(log.at(key)) || builder.broken(log.pointer() + "/commit"))
        return;
      builder.problem_between(log.at(key), std::string("only used with commit ") + commit, log.at("commit"),
                              std::string("does not use ") + key + " (only commit " + commit + " does): remove " + key +
                                  " or choose commit " + commit);
    };
    only_with("group_ms", "group");
    only_with("group_batch", "group");
    only_with("flush_interval_ms", "page_cache");
    options->op_cpu_s = node.at("op_cpu_us").number() / 1e6;
    options->delivery_bytes = node.at("header_bytes").number();
    for (const auto& [name, t] : node.at("topics").members()) {
      TopicSpec topic;
      topic.name = name;
      topic.partitions = t.at("partitions").integer();
      topic.max_depth = t.at("max_depth").unsigned_integer();
      topic.when_full = t.at("when_full").is("wait") ? WhenFull::Wait : WhenFull::Reject;
      topic.retention_s = t.at("retention_s").number();
      options->topics.push_back(topic);
    }
    service.endpoints = {{"replicate", {}, true}};
    for (const TopicSpec& topic : options->topics) service.endpoints.push_back({"publish." + topic.name, {}, true});
    service.options = options;
  }

  void finish(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto replicated = std::make_shared<QueueOptions>(queue_options(service));
    const int self = builder.scenario().service_index(service.name);
    if (replicated->replication_factor > 1) replicated->replicate_hop = builder.hop(self, self, kReplicate);
    // The consumer groups have named their queue and topic by now (they resolve before
    // anything finishes).
    const auto& services = builder.scenario().services;
    for (std::size_t g = 0; g < services.size(); ++g) {
      if (services[g].kind != consumer::consumer_kind() || !services[g].options) continue;
      const auto& c = consumer::consumer_options(services[g]);
      if (c.queue == self && c.topic >= 0) replicated->subscribers.emplace_back(static_cast<int>(g), c.topic);
    }
    service.options = replicated;
    const QueueOptions& options = *replicated;
    if (options.replication_factor > service.replicas && builder.replicas_known(service.name))
      builder.problem(node.pointer() + "/replication_factor",
                      "more copies of each partition than brokers (replicas: " + std::to_string(service.replicas) + ")");
    if (service.max_replicas != service.replicas)
      builder.problem(node.pointer() + "/max_replicas", fixed_membership());
    if (!options.acks_all && options.replication_factor == 1 && builder.written(node.at("acks")))
      builder.problem(node.pointer() + "/acks", "acks 1 and all differ only with replication_factor above 1");
  }

  // A topic's publish endpoint leads to the deliveries of every group subscribed to it.
  void edges(const ServiceSpec& service, int endpoint, const std::function<void(CallTarget)>& edge) const override;

  void demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const override {
    // Spread evenly: partitions are spread over the replicas.
    const QueueOptions& options = queue_options(service);
    const auto running = static_cast<std::size_t>(service.replicas);
    const int copies = endpoint >= kFirstTopic ? options.replication_factor : 1;
    for (std::size_t r = 0; r < running; ++r) {
      const int host = service.replica_hosts[r];
      const HostSpec& h = context.scenario().hosts[static_cast<std::size_t>(host)];
      const double share = weight * copies / static_cast<double>(running);
      context.cpu(host, share * options.op_cpu_s / h.core_speed);
    }
  }
};

const QueueKind kind;

void QueueKind::edges(const ServiceSpec& service, int endpoint, const std::function<void(CallTarget)>& edge) const {
  if (endpoint < kFirstTopic || !service.kind) return;
  // The groups are found among the services of the scenario this service belongs to.
  if (!service.options) return;
  for (const auto& [group, topic] : queue_options(service).subscribers)
    if (topic == endpoint - kFirstTopic) edge(CallTarget{group, consumer::kDeliver});
}

// The queue service a step names, or -1 after reporting why not.
int queue_named(const Node& node, ScenarioBuilder& builder) {
  const int service = builder.service_named(node);
  if (service < 0) return -1;
  const ServiceSpec& spec = builder.scenario().services[static_cast<std::size_t>(service)];
  if (!spec.kind) return -1;  // untyped: its own problems are reported
  if (spec.kind != &kind) {
    builder.problem(node, "service " + spec.name + " is not a message queue (kind queue)");
    return -1;
  }
  return service;
}

class PublishKind : public StepKind {
 public:
  const char* key() const override { return "publish"; }
  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<PublishStep>();
    step.options = options;
    options->message_bytes = node.at("message_kb").number() * kKiB;
    options->key = node.at("partition_key").is("session")  ? PartitionKey::Session
                   : node.at("partition_key").is("random") ? PartitionKey::Random
                                                           : PartitionKey::Request;
    options->wait = node.at("wait_for_ack").boolean();
    options->timeout_s = node.at("timeout_ms").number() / 1000.0;
    if (!options->wait && builder.written(node.at("timeout_ms")))
      builder.problem(node.at("timeout_ms"), "only used with wait_for_ack");
    options->queue = queue_named(node.at(key()), builder);
    if (options->queue < 0) return;
    const ServiceSpec& queue = builder.scenario().services[static_cast<std::size_t>(options->queue)];
    if (!queue.options) return;
    options->topic = topic_named(queue, node.at("topic"), builder);
    if (options->topic < 0) return;
    if (options->wait)
      builder.exchange(place.service, options->queue, options->message_bytes, 0, options->timeout_s, node.pointer());
    options->hop = builder.hop(place.service, options->queue, publish_endpoint(options->topic));
  }
  std::optional<CallTarget> target(const Step& step) const override {
    const auto& options = step.options_as<PublishStep>();
    return CallTarget{options.queue, options.topic >= 0 ? publish_endpoint(options.topic) : -1};
  }
  // A publish, then one delivery (and its acknowledgement, on the broker) per group of the
  // topic, each running the group's steps once: retries and redeliveries are not counted.
  void demand(const Step& step, const ServiceSpec&, int, double weight, DemandContext& context) const override {
    const auto& options = step.options_as<PublishStep>();
    context.visit(options.queue, publish_endpoint(options.topic), weight);
    const Scenario& scenario = context.scenario();
    const ServiceSpec& queue = scenario.services[static_cast<std::size_t>(options.queue)];
    const QueueOptions& q = queue_options(queue);
    const auto running = static_cast<std::size_t>(queue.replicas);
    for (std::size_t r = 0; r < running; ++r) {
      const int host = queue.replica_hosts[r];
      const HostSpec& h = scenario.hosts[static_cast<std::size_t>(host)];
      context.disk(host, weight * q.replication_factor / static_cast<double>(running) *
                             append_disk_s(q, h, options.message_bytes));
    }
    for (std::size_t g = 0; g < scenario.services.size(); ++g) {
      const ServiceSpec& group = scenario.services[g];
      if (group.kind != consumer::consumer_kind() || !group.options) continue;
      const auto& c = consumer::consumer_options(group);
      if (c.queue != options.queue || c.topic != options.topic) continue;
      context.visit(static_cast<int>(g), consumer::kDeliver, weight);
      kind.demand(queue, kReplicate, 2 * weight, context);  // the delivery and its acknowledgement
    }
  }
};

class NotifyKind : public StepKind {
 public:
  const char* key() const override { return "notify"; }
  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    const ServiceSpec& owner = builder.scenario().services[static_cast<std::size_t>(place.service)];
    if (owner.kind != consumer::consumer_kind())
      builder.problem(node.at(key()), "a notify ends an asynchronous flow: it belongs in a consumer's steps (service " +
                                          owner.name + " is of kind " + (owner.kind ? owner.kind->name() : "?") + ")");
    auto options = std::make_shared<NotifyStep>();
    options->flow = node.at(key()).string();
    options->message_bytes = node.at("message_kb").number() * kKiB;
    step.options = options;
  }
};

}  // namespace

const ServiceKind* queue_kind() { return &kind; }

void add_to(Catalog& catalog) {
  static PublishKind publish;
  static NotifyKind notify;
  catalog.add(kind);
  catalog.add(publish);
  catalog.add(notify);
}

}  // namespace archsim::kinds::queue

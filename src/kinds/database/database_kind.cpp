#include "kinds/database/database_kind.hpp"

#include <memory>

#include "scenario/builder.hpp"
#include "scenario/catalog.hpp"

namespace archsim::kinds::database {

const ReplicationSpec* replication_of(const ServiceSpec& service) {
  const auto& options = service.options_as<DatabaseOptions>();
  return options.replication ? &*options.replication : nullptr;
}

namespace {

class DatabaseKind : public ServiceKind {
 public:
  const char* name() const override { return "database"; }
  const char* report_section() const override { return "replication"; }
  bool has_access_modes() const override { return true; }

  void parse(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    service.workers = node.at("max_connections").integer();
    service.options = std::make_shared<DatabaseOptions>();
    if (service.max_replicas > service.replicas)
      builder.problem(node.at("max_replicas"), "a database cannot have parked replicas: its replicas form one cluster");
  }

  void finish(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<DatabaseOptions>();
    const bool written = node.has("replication");
    if (written && service.max_replicas < 2 && builder.replicas_known(service.name))
      builder.problem_between(node.at("replication"), "needs replicas >= 2 (a primary and at least one replica)",
                              node.at("replicas"), "must be at least 2 under replication (a primary and a replica)");
    if (written || service.max_replicas > 1) {
      const Node r = written ? node.at("replication")
                             : builder.defaults("/$defs/replication", node.pointer() + "/replication");
      ReplicationSpec rep;
      rep.semi_sync = r.at("mode").is("semi_sync");
      rep.read_from_primary = r.at("read_from").is("any");
      rep.read_policy = policy_from_string(r.at("read_policy").string());
      rep.stream_bytes = r.at("stream_kb").number() * kKiB;
      rep.semi_sync_timeout_s = r.at("semi_sync_timeout_ms").number() / 1000.0;
      if (written && builder.written(r.at("semi_sync_timeout_ms")) && !rep.semi_sync)
        builder.problem(r.pointer() + "/semi_sync_timeout_ms", "only used in semi_sync mode");
      rep.promotion_s = r.at("promotion_s").number();
      const Node apply = r.at("apply_steps");
      rep.apply_steps = builder.steps(apply, {builder.scenario().service_index(service.name), true});
      bool calls = false;
      for_each_step(rep.apply_steps, [&calls](const Step& step) { calls = calls || step.kind->target(step); });
      if (calls) builder.problem(apply.pointer(), "applying a write cannot call other services");
      options->replication = std::move(rep);
    }
    if (node.has("health_check") && !options->replication)
      builder.problem(node.pointer() + "/health_check", "only used by a replicated database (replicas >= 2)");
    service.options = options;
  }

  bool needs_health_check(const ServiceSpec& service) const override { return replication_of(service) != nullptr; }

  void demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const override {
    const ReplicationSpec* rep = replication_of(service);
    if (!rep) {
      ServiceKind::demand(service, endpoint, weight, context);
      return;
    }
    // Replica 1 is the primary: it runs the writes, which every other replica applies;
    // reads spread over the read replicas (and the primary with read_from "any").
    const EndpointSpec& ep = service.endpoints[static_cast<std::size_t>(endpoint)];
    const auto running = static_cast<std::size_t>(service.replicas);
    if (ep.write) {
      context.steps(service, ep.steps, service.replica_hosts.front(), weight);
      for (std::size_t r = 1; r < running; ++r) context.steps(service, rep->apply_steps, service.replica_hosts[r], weight);
      return;
    }
    const std::size_t first = rep->read_from_primary ? 0 : 1;
    for (std::size_t r = first; r < running; ++r)
      context.steps(service, ep.steps, service.replica_hosts[r], weight / static_cast<double>(running - first));
  }

  double key_state_bytes_per_key(const ServiceSpec& service) const override {
    // A version per key received and applied, on every replica.
    return replication_of(service) ? static_cast<double>(service.max_replicas) * 2 * 48.0 : 0.0;
  }
  std::string key_state_setting(const ServiceSpec&) const override { return "/replicas"; }
};

}  // namespace

void add_to(Catalog& catalog) {
  static const DatabaseKind kind;
  catalog.add(kind);
}

}  // namespace archsim::kinds::database

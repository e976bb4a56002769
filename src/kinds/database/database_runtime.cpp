#include "kinds/database/database_runtime.hpp"

#include <algorithm>
#include <unordered_map>

#include "components/run_context.hpp"
#include "components/runtime_catalog.hpp"
#include "components/service.hpp"
#include "components/service_replica.hpp"
#include "engine/daemon.hpp"

namespace archsim::kinds::database {

namespace {
double now() { return sg4::Engine::get_clock(); }

PolicyConfig read_policy_config(const ReplicationSpec& spec) {
  PolicyConfig c;
  c.kind = spec.read_policy;
  return c;
}
}  // namespace

DatabaseCluster::DatabaseCluster(RunContext& run, Service& service, const ReplicationSpec& spec,
                                 const HealthCheckSpec& health)
    : run_(run),
      service_(service),
      spec_(spec),
      checker_(run, service.name() + "/monitor", health, service,
               [this](int replica, bool healthy) { health_changed(replica, healthy); }),
      read_policy_(make_policy(read_policy_config(spec), service.spec().replicas)),
      state_(service.spec().replicas) {
  for (int r = 0; r < service.spec().replicas; ++r)
    streams_.push_back(
        std::make_unique<Inbox>(sg4::Mailbox::by_name(service.spec().replica_name(r) + "/replication")));
}

DatabaseCluster::~DatabaseCluster() = default;

std::unique_ptr<ReplicaBehavior> DatabaseCluster::make_behavior(ServiceReplica&) {
  return std::make_unique<DatabaseBehavior>(*this);
}

void DatabaseCluster::start() {
  run_.recorder().timeline(0.0, service_.replicas()[0]->name(), "primary");
  spawn_daemon(service_.name() + "/monitor", run_.control_host(), [this] { checker_.run(); });
}

ServiceReplica* DatabaseCluster::route(Service&, const Message& request, bool write, int avoid) {
  const auto& replicas = service_.replicas();
  if (write) return primary_ >= 0 ? replicas[static_cast<std::size_t>(primary_)].get() : nullptr;
  const bool any = read_eligibility(checker_.healthy(), primary_, spec_.read_from_primary, avoid, read_view_.healthy);
  // With every replica down, reads fall back on the primary rather than failing.
  if (!any && primary_ >= 0) return replicas[static_cast<std::size_t>(primary_)].get();
  read_view_.connections = service_.open_calls();
  read_view_.index_health();
  const int chosen = read_policy_->choose({request.session, request.key}, read_view_, service_.rng());
  return chosen >= 0 ? replicas[static_cast<std::size_t>(chosen)].get() : nullptr;
}

Outcome DatabaseCluster::commit(StepContext& context) {
  ServiceReplica& primary = context.replica;
  const std::uint64_t key = context.request.key;
  const std::uint64_t position = state_.commit(primary.index(), key);
  if (run_.recorder().measured(context.request.sent_at)) ++writes_;

  // One event per replica, over the network. Semi-sync acknowledgements come back to this
  // worker's reply mailbox under one call id.
  const std::uint64_t ack_id = run_.next_call_id();
  int sent = 0;
  for (const auto& replica : service_.replicas()) {
    if (replica.get() == &primary) continue;
    auto* event = new Message;
    event->id = ack_id;
    event->endpoint = kReplicationEndpoint;
    event->sequence = position;
    event->key = key;
    event->origin_at = now();
    if (spec_.semi_sync) {
      event->reply_to = context.replies.mailbox();
      event->reply_host = primary.host();
      event->response_bytes = kControlBytes;
    }
    send_message(streams_[static_cast<std::size_t>(replica->index())]->mailbox(), replica->host(), event,
                 spec_.stream_bytes);
    ++sent;
  }
  if (spec_.semi_sync && sent > 0) {
    const double deadline = now() + spec_.semi_sync_timeout_s;
    while (true) {
      const double left = deadline - now();
      Message* ack = left > 0 ? context.replies.receive(left) : nullptr;
      if (!ack) {
        ++semi_sync_timeouts_;
        break;
      }
      const bool ours = ack->id == ack_id;
      delete ack;
      if (ours) break;
    }
  }
  // A failover can lose it until every healthy replica has received it.
  state_.acknowledge(position, checker_.healthy(), primary_);
  context.request.version = position;
  context.request.version_source = service_.index();
  return Outcome::Ok;
}

std::uint64_t DatabaseCluster::served_read(int replica, std::uint64_t key) {
  if (replica != primary_ && run_.recorder().measured(now())) {
    ++replica_reads_;
    if (state_.stale(replica, key)) ++stale_reads_;
  }
  return state_.applied_version(replica, key);
}

void DatabaseCluster::apply_loop(ServiceReplica& replica) {
  Inbox& stream = *streams_[static_cast<std::size_t>(replica.index())];
  stream.bind();
  const int index = replica.index();
  Message apply_request;
  StepContext context{replica, stream, apply_request};
  while (true) {
    Message* event = stream.receive(-1);
    // Events older than what this replica already has (it was resynchronised meanwhile)
    // change nothing.
    const bool fresh = state_.receive(index, event->sequence, event->key);
    const std::uint64_t sequence = event->sequence;
    const std::uint64_t key = event->key;
    const double committed_at = event->origin_at;
    if (event->reply_to)
      reply_to_caller(event, Outcome::Ok);  // received: the semi-sync acknowledgement
    else
      delete event;
    if (!fresh) continue;
    apply_request.key = key;
    run_steps(context, spec_.apply_steps);
    if (state_.apply(index, sequence, key) && run_.recorder().measured(committed_at))
      lag_.record(now() - committed_at);
  }
}

void DatabaseCluster::health_changed(int replica, bool healthy) {
  const auto& name = service_.replicas()[static_cast<std::size_t>(replica)]->name();
  run_.recorder().timeline(now(), service_.name() + "/monitor", healthy ? "marks_up" : "marks_down", name);
  if (!healthy && replica == primary_ && !failover_running_) {
    failover_running_ = true;
    spawn_daemon(service_.name() + "/failover", run_.control_host(), [this] { failover(); });
  }
}

double DatabaseCluster::measured_overlap(double from, double to) const {
  const double start = std::max(from, run_.scenario().warmup_s);
  const double stop = std::min(to, run_.scenario().duration_s);
  return stop > start ? stop - start : 0.0;
}

void DatabaseCluster::set_primary(int replica, double t) {
  if (primary_ < 0 && replica >= 0 && no_primary_since_ >= 0) {
    no_primary_s_ += measured_overlap(no_primary_since_, t);
    no_primary_since_ = -1;
  }
  if (replica < 0) no_primary_since_ = t;
  primary_ = replica;
}

void DatabaseCluster::failover() {
  const auto& replicas = service_.replicas();
  const int old = primary_;
  set_primary(-1, now());
  run_.recorder().timeline(now(), service_.name(), "failover_started",
                           replicas[static_cast<std::size_t>(old)]->name() + " is down");
  sg4::this_actor::sleep_for(spec_.promotion_s);
  while (true) {
    const int best = state_.promotion_candidate(checker_.healthy());
    if (best >= 0) {
      // The new primary applies what it received before taking writes; acknowledged
      // writes it never received are gone.
      const std::uint64_t lost = state_.promote(best);
      if (run_.recorder().measured(now())) lost_writes_ += lost;
      set_primary(best, now());
      for (std::size_t r = 0; r < replicas.size(); ++r) resync(static_cast<int>(r));
      if (run_.recorder().measured(now())) ++failovers_;
      run_.recorder().timeline(now(), service_.name(), "promoted",
                               replicas[static_cast<std::size_t>(best)]->name() + " (" + std::to_string(lost) +
                                   " acknowledged writes lost)");
      break;
    }
    sg4::this_actor::sleep_for(1.0);  // nobody to promote yet
  }
  failover_running_ = false;
}

nlohmann::ordered_json DatabaseCluster::report(double end) const {
  nlohmann::ordered_json j;
  j["mode"] = spec_.semi_sync ? "semi_sync" : "async";
  j["primary"] = primary_ >= 0 ? service_.replicas()[static_cast<std::size_t>(primary_)]->name() : "";
  j["writes"] = writes_;
  j["replication_lag_ms"] = {{"mean", lag_.mean() * 1000.0},     {"p50", lag_.percentile(0.5) * 1000.0},
                             {"p99", lag_.percentile(0.99) * 1000.0}, {"p999", lag_.percentile(0.999) * 1000.0},
                             {"max", lag_.max() * 1000.0},       {"events", lag_.count()}};
  j["replica_reads"] = replica_reads_;
  j["stale_reads"] = stale_reads_;
  j["stale_read_fraction"] = replica_reads_ ? static_cast<double>(stale_reads_) / static_cast<double>(replica_reads_) : 0.0;
  j["failovers"] = failovers_;
  j["lost_writes"] = lost_writes_;
  j["semi_sync_timeouts"] = semi_sync_timeouts_;
  double no_primary = no_primary_s_;
  if (primary_ < 0 && no_primary_since_ >= 0) no_primary += measured_overlap(no_primary_since_, end);
  j["no_primary_s"] = no_primary;
  return j;
}

Outcome DatabaseBehavior::serve(StepContext& context) {
  ServiceReplica& replica = context.replica;
  const EndpointSpec& endpoint =
      replica.service().spec().endpoints[static_cast<std::size_t>(context.request.endpoint)];
  // A write that reaches a replica that is not (or no longer) the primary is refused, as a
  // read-only server refuses it.
  if (endpoint.write && replica.index() != cluster_.primary()) return Outcome::Failed;
  const Outcome outcome = run_steps(context, endpoint.steps);
  if (outcome != Outcome::Ok) return outcome;
  if (endpoint.write) return cluster_.commit(context);
  context.request.version = cluster_.served_read(replica.index(), context.request.key);
  context.request.version_source = replica.service().index();
  return Outcome::Ok;
}

void DatabaseBehavior::on_start(ServiceReplica& replica) {
  if (replica.generation() > 1) cluster_.resync(replica.index());
  DatabaseCluster* cluster = &cluster_;
  ServiceReplica* r = &replica;
  replica.spawn_auxiliary("applier", [cluster, r] { cluster->apply_loop(*r); });
}

namespace {
// A single database, or several without replication (sharing one version per key): a
// plain server that counts versions. A write's commit gives its key the next version;
// replies carry the version they read or wrote.
class SingleDatabase : public ServiceRuntime {
 public:
  std::unique_ptr<ReplicaBehavior> make_behavior(ServiceReplica&) override;
  std::uint64_t committed_version(std::uint64_t key) const override {
    const auto it = versions_.find(key);
    return it == versions_.end() ? 0 : it->second;
  }
  std::uint64_t commit(std::uint64_t key) { return versions_[key] = ++committed_; }

 private:
  std::uint64_t committed_ = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> versions_;  // keys written: bounded by the key space
};

class SingleDatabaseBehavior : public ReplicaBehavior {
 public:
  explicit SingleDatabaseBehavior(SingleDatabase& database) : database_(database) {}
  Outcome serve(StepContext& context) override {
    Message& request = context.request;
    const EndpointSpec& endpoint =
        context.replica.service().spec().endpoints[static_cast<std::size_t>(request.endpoint)];
    const Outcome outcome = run_steps(context, endpoint.steps);
    if (outcome != Outcome::Ok) return outcome;
    request.version = endpoint.write ? database_.commit(request.key) : database_.committed_version(request.key);
    request.version_source = context.replica.service().index();
    return Outcome::Ok;
  }

 private:
  SingleDatabase& database_;
};

std::unique_ptr<ReplicaBehavior> SingleDatabase::make_behavior(ServiceReplica&) {
  return std::make_unique<SingleDatabaseBehavior>(*this);
}
}  // namespace

std::unique_ptr<ServiceRuntime> make_runtime(Service& service, RunContext& run) {
  const ReplicationSpec* replication = replication_of(service.spec());
  if (!replication) return std::make_unique<SingleDatabase>();
  return std::make_unique<DatabaseCluster>(run, service, *replication, *service.spec().health_check);
}

void add_to(RuntimeCatalog& catalog) { catalog.add_service("database", make_runtime); }

}  // namespace archsim::kinds::database

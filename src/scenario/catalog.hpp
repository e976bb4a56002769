#pragma once
// The seams through which a scenario's vocabulary grows, on the side of the scenario (no
// engine here): service kinds ("kind": "database"), step kinds ({"call": ...}) and timed
// actions ({"crash": ...}). Each says how it is parsed and checked, what it calls (for
// cycle checks) and what it demands of the hardware (for the utilisation law). What a kind
// does at run time lives beside it in the kind's folder and is found by the engine through
// the runtime catalog under the same name.
//
// The Catalog lists every kind a scenario may use; kinds/catalog.cpp builds the shipped one.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "scenario/node.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class ScenarioBuilder;

// A call-graph edge: an endpoint of a service.
struct CallTarget {
  int service = -1;
  int endpoint = -1;
};

// What the utilisation law walks: the mean demand each client request puts on every
// resource, accumulated through the seams below (see analysis/utilization_law.hpp).
class DemandContext {
 public:
  virtual ~DemandContext() = default;
  virtual const Scenario& scenario() const = 0;
  // Seconds of one core of `host`, and seconds of its disk, per client request.
  virtual void cpu(int host, double seconds) = 0;
  virtual void disk(int host, double seconds) = 0;
  // `weight` visits per request of `endpoint` of `service` (a call or a forward).
  virtual void visit(int service, int endpoint, double weight) = 0;
  // `weight` runs per request of `steps` by a replica of `service` on `host`.
  virtual void steps(const ServiceSpec& service, const std::vector<Step>& steps, int host, double weight) = 0;
};

class ServiceKind {
 public:
  virtual ~ServiceKind() = default;
  // The schema's "kind".
  virtual const char* name() const = 0;
  // The key of the kind's own figures under services.NAME in summary.json, or nullptr.
  virtual const char* report_section() const { return nullptr; }
  // Whether its endpoints may be reads or writes ("access").
  virtual bool has_access_modes() const { return false; }

  // Typing happens in three passes over the services, so that any service may refer to
  // any other: `parse` the kind's own options (every service has its name and endpoints
  // names by then), `resolve` references to other services (a balancer's backend), and,
  // once replicas are placed, `finish` what needs the rest (step lists of its own).
  virtual void parse(ServiceSpec& service, const Node& node, ScenarioBuilder& builder) const = 0;
  virtual void resolve(ServiceSpec& /*service*/, const Node& /*node*/, ScenarioBuilder& /*builder*/) const {}
  virtual void finish(ServiceSpec& /*service*/, const Node& /*node*/, ScenarioBuilder& /*builder*/) const {}
  // Whether it runs health checks even when the scenario configures none (then with the
  // schema's defaults).
  virtual bool needs_health_check(const ServiceSpec& /*service*/) const { return false; }

  // Call-graph edges of `endpoint` besides its steps' calls (a balancer's hop to its backend).
  virtual void edges(const ServiceSpec& /*service*/, int /*endpoint*/,
                     const std::function<void(CallTarget)>& /*edge*/) const {}
  // The demand of `weight` visits per request of `endpoint`. By default the visits spread
  // evenly over the running replicas, each running the endpoint's steps.
  virtual void demand(const ServiceSpec& service, int endpoint, double weight, DemandContext& context) const;
  // Simulated threads a replica holds whatever its load (workers, connections and helpers
  // come and go with the requests inside, under the run's actor budget).
  virtual double resident_threads_per_replica(const ServiceSpec& service) const;
  // The setting that sets most of those, as a pointer inside the service ("/concurrency"),
  // for reports; "" when none does (then it is the replicas that count).
  virtual std::string resident_threads_setting(const ServiceSpec& /*service*/) const { return ""; }
  // Whether replies to clients that target it are billed as CDN egress (by the kind's own
  // cost usage) rather than as the origin's egress; its hosts are then part of that bill,
  // not of the compute bill.
  virtual bool bills_own_egress() const { return false; }
  // Whether other services may call it or balance over it (a CDN serves clients only: its
  // edge is chosen by where the client is).
  virtual bool serves_services() const { return true; }
  // What sends it requests when neither clients nor calls may (a queue: publish steps; a
  // consumer: its broker), or nullptr when they may.
  virtual const char* reached_by() const { return nullptr; }
  // Why its replicas cannot be scaled (max_replicas, scale actions), or nullptr when they
  // can (a broker cluster: partitions are placed on its replicas).
  virtual const char* fixed_membership() const { return nullptr; }
  // Whether a successful reply carries the bytes the caller asked for (a cache's get
  // answers a miss with no value).
  virtual bool returns_requested_bytes() const { return true; }
  // Bytes of per-key state the kind keeps for each key of the clients' key spaces.
  virtual double key_state_bytes_per_key(const ServiceSpec& /*service*/) const { return 0; }
  // The setting of the service that sets most of that state, as a pointer inside the
  // service ("/admission/min_requests"), for reports; "" when none does.
  virtual std::string key_state_setting(const ServiceSpec& /*service*/) const { return ""; }
};

// Where a step is being parsed.
struct StepPlace {
  int service = -1;       // the service whose endpoint (or other step list) it belongs to
  bool in_group = false;  // inside a parallel or sequence step
};

class StepKind {
 public:
  virtual ~StepKind() = default;
  // The key that marks a step of this kind ("cpu_ms", "call", "parallel").
  virtual const char* key() const = 0;
  virtual void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const = 0;
  // The endpoint it calls or forwards to, if any.
  virtual std::optional<CallTarget> target(const Step& /*step*/) const { return std::nullopt; }
  // Whether it must be the last step of an endpoint (a forward).
  virtual bool ends_endpoint() const { return false; }
  // Whether a parallel step sends it together with its sibling calls rather than in a
  // helper thread (a plain call).
  virtual bool sent_in_parallel() const { return false; }
  // Its demand, run `weight` times per request by a replica of `service` on `host`.
  virtual void demand(const Step& /*step*/, const ServiceSpec& /*service*/, int /*host*/, double /*weight*/,
                      DemandContext& /*context*/) const {}

  int id() const { return id_; }

 private:
  friend class Catalog;
  int id_ = -1;
};

// What the timeline holds at one moment, as a replay of the schedule sees it: how many
// scheduled crashes hold each host or replica down, which links are cut, whether the
// network is partitioned, which hosts are slowed. Keys are the kinds' own.
struct ActionTrace {
  using Holders = std::vector<const ActionSpec*>;  // the actions holding one thing, in order
  const Scenario& scenario;
  std::map<std::string, std::vector<Holders>> tables;

  // The holders of each of `size` things of table `name` (one per host, say), none at first.
  std::vector<Holders>& table(const std::string& name, std::size_t size) {
    std::vector<Holders>& t = tables[name];
    if (t.size() < size) t.resize(size);
    return t;
  }
};

class ActionKind {
 public:
  virtual ~ActionKind() = default;
  // The key that marks an action of this kind in the timeline ("crash", "cut").
  virtual const char* key() const = 0;
  // Parses the value of its key (`body`) into `action`.
  virtual void parse(ActionSpec& action, const Node& body, ScenarioBuilder& builder) const = 0;
  // Raises `replicas` (per service) to the replica counts it brings into service: what
  // parked capacity the run may use, for the resource limits.
  virtual void peak_replicas(const ActionSpec& /*action*/, std::vector<int>& /*replicas*/) const {}
  // Applies the action (or its undoing, at the end of its duration) to `trace`, as the run
  // will; returns why it would change nothing there (a recover of what no crash holds
  // down), or "" when it does something.
  virtual std::string follow(const ActionSpec& /*action*/, bool /*undo*/, ActionTrace& /*trace*/) const { return ""; }

  int id() const { return id_; }

 private:
  friend class Catalog;
  int id_ = -1;
};

class Catalog {
 public:
  void add(const ServiceKind& kind) { services_.push_back(&kind); }
  void add(StepKind& kind);
  void add(ActionKind& kind);

  const ServiceKind* service_kind(const std::string& name) const;
  // The kind whose key `node` (a step, or a timeline event) has.
  const StepKind* step_kind_of(const Node& node) const;
  const ActionKind* action_kind_of(const Node& node) const;

  const std::vector<const ServiceKind*>& service_kinds() const { return services_; }
  const std::vector<const StepKind*>& step_kinds() const { return steps_; }
  const std::vector<const ActionKind*>& action_kinds() const { return actions_; }

 private:
  std::vector<const ServiceKind*> services_;
  std::vector<const StepKind*> steps_;
  std::vector<const ActionKind*> actions_;
};

// Visits every step of `steps` depth first, children after their group.
void for_each_step(const std::vector<Step>& steps, const std::function<void(const Step&)>& visit);

}  // namespace archsim

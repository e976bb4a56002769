#pragma once
// Typing a scenario: from a merged, schema-valid document (defaults filled in) to the
// Scenario the engine runs, collecting every semantic problem on the way (broken
// references, impossible values, call cycles, resource limits). The builder walks the
// generic structure and hands each service, step and timed action to its kind (see
// catalog.hpp); kinds use the helpers below to parse their parts and report problems.
#include <deque>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/catalog.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/node.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Document;

struct LoadOptions {
  std::vector<std::pair<std::string, std::string>> overrides;  // --set path=value, in order
  std::optional<std::uint64_t> seed;
  std::optional<double> duration_s;
};

// Loads, merges, validates and types a scenario file with the kinds of `catalog`. Throws
// InputError listing every problem found.
Scenario load_scenario(const std::string& path, const LoadOptions& options, const Catalog& catalog);
// Throws InputError, naming `option` (say "--set services.web.workers" or "--vary PATH"),
// when `path` is not a setting the schema allows in the document (a typo, or a new entry
// of a map keyed by name reached through a deeper path), suggesting the closest one.
void check_setting_path(const Document& document, const std::string& path, const std::string& option);

// Validates and types an already merged document.
Scenario build_scenario(const Document& document, const Catalog& catalog);

class ScenarioBuilder {
 public:
  // `tolerant`: the document had schema errors, pruned away (at `pruned`, JSON pointers);
  // the builder looks for the problems the schema cannot see in what remains, skipping the
  // parts it cannot type.
  ScenarioBuilder(const Document& document, const Catalog& catalog, bool tolerant = false,
                  std::vector<std::string> pruned = {});
  Scenario build();

  // ---- for the kinds ------------------------------------------------------------------
  const Scenario& scenario() const { return s_; }
  // A host being typed, to place it (a CDN puts each edge's host in its region).
  HostSpec& host(int index) { return s_.hosts[static_cast<std::size_t>(index)]; }
  const Catalog& catalog() const { return catalog_; }
  // The whole document, to reach a setting of another service (for problem_between).
  const Node& root() const { return root_; }
  // A call, publish or client request from service `from` (-1: a client) to service `to`,
  // given up after `timeout_s`: once the hosts are placed, a warning at `pointer` when its
  // bytes alone take longer than that through the fastest NICs its two ends may have
  // (every one of them would time out).
  void exchange(int from, int to, double request_bytes, double response_bytes, double timeout_s,
                const std::string& pointer);

  // A warning at `pointer`: valid, but not what it seems to say (validate and run print it).
  void warning(const std::string& pointer, const std::string& text);
  // Reports a problem at `pointer`, with the offending value when given.
  void problem(const std::string& pointer, const std::string& rule);
  void problem(const Node& at, const std::string& rule);
  // Two values that break a rule together: blames the one the user changed last, that is
  // `second` when `first` is the schema's default or when `second` was changed after it (by
  // a file extending first's, or by an option: --set, --duration-s); else `first`. Each
  // comes with its rule.
  // Returns whether `second` was blamed.
  bool problem_between(const Node& first, const std::string& first_rule, const Node& second,
                       const std::string& second_rule);

  // Whether the scenario itself gives this value (rather than the schema's default).
  bool written(const Node& node) const;
  // " (did you mean \"x\"?)", or the known names when none is close, or "".
  static std::string suggestion(const std::string& word, const std::vector<std::string>& known);
  // `what` ("no such service") for `name`, missing at `pointer`: with the patch or option
  // that deleted it there, or else with the suggestion among `known`.
  std::string missing(const std::string& what, const std::string& pointer, const std::string& name,
                      const std::vector<std::string>& known) const;
  std::vector<std::string> service_names() const;
  // The lookups below report a name that is not there, unless what would hold it broke the
  // schema (see broken()): that error is reported already, and whether the name would have
  // been there is unknown.
  // The service named by `node` (a string), or -1 after reporting "no such service".
  int service_named(const Node& node);
  // The host named by `node` (a string), or -1 after reporting "no such host".
  int host_named(const Node& node, const std::string& rule = "no such host");
  // The region named by `node` (a string), or -1 after reporting "no such region".
  int region_named(const Node& node);
  // The endpoint of service `service` named by `node` (a string), or -1 after reporting
  // "no such endpoint" (unless its endpoints are unknown: see endpoints_known()). `named_by`,
  // the value that names the service, is blamed instead when it was changed after `node`.
  int endpoint_named(int service, const Node& node, const Node& named_by);
  // A fault or action target: {"host"}, {"replica": "SERVICE-N"} or {"service"}.
  std::optional<Target> target(const Node& node);

  // In tolerant mode, whether the schema found an error at JSON pointer `pointer`, above it
  // or under it: a check that reads what is there would read a default standing in for the
  // broken value, or nothing. Checks that compare with such a value say nothing.
  bool broken(const std::string& pointer) const;
  // Whether which replicas (and hosts) a service has is known: its counts, placement and
  // kind are not broken. `service` need not exist.
  bool replicas_known(const std::string& service) const;
  // Whether the endpoints of service `index` are known: its kind and endpoints are not
  // broken and, if it takes them from another service (a balancer from its backend, see
  // endpoints_follow()), that one's are known.
  bool endpoints_known(int index) const;
  // Service `index` has the endpoints of service `source` (by name, in its order), or -1:
  // of a service that could not be named (reported). They are copied once every service is
  // resolved, so the order of the services does not matter; `by` is the JSON pointer that
  // named the source, blamed if the services that follow each other form a loop.
  void endpoints_follow(int index, int source, const std::string& by = {});
  // The JSON pointer of a service's entry.
  static std::string service_pointer(const std::string& name);

  // Parses a list of steps of `place.service` (creating the hops of its calls).
  std::vector<Step> steps(const Node& list, const StepPlace& place);
  Distribution distribution(const Node& node);
  HealthCheckSpec health_check(const Node& node) const;
  // The hop for calls from `from` to endpoint `endpoint` of `to`, created on first use.
  int hop(int from, int to, int endpoint);
  // A definition of the schema ("/$defs/replication") for an absent object: `{}` with the
  // schema's defaults, as a node at `pointer`.
  Node defaults(const std::string& schema_pointer, const std::string& pointer);
  // The hardware profile, merged with the scenario's platform section and filled with the
  // schema's defaults, as a node at /platform (figures of the kinds: /platform/services).
  Node profile() const { return Node(profile_, "/platform"); }
  // The timeline will slow `host`'s CPU and disk by these factors: it needs power states.
  void require_power_state(int host, double cpu_factor, double disk_factor);

 private:
  void build_platform();
  void build_regions(const Node& platform);
  void build_hosts();
  void build_services();
  // The service kinds whose endpoints are reads or writes, for messages.
  std::string kinds_with_access_modes() const;
  void finish_service(int index, const Node& node);
  void place_replicas(ServiceSpec& service, const Node& host);
  void build_pools(ServiceSpec& service, const Node& pools, int index);
  void check_forward_position(const std::vector<Step>& steps, const std::string& pointer);
  std::set<int> called_services(int service) const;
  void build_clients();
  // Checks a replayed client's access log line by line and takes its rate and mix.
  void read_access_log(ClientSpec& client, const Node& node);
  // The calls between endpoints: node base[service][endpoint]; an edge is a call, a forward
  // or a kind's own hop (a balancer to its backend, a broker to its consumers).
  struct CallGraph {
    std::vector<std::vector<int>> base;
    std::vector<std::vector<int>> edges;
    std::vector<std::pair<int, int>> names;  // (service, endpoint) of each node
    int total = 0;
  };
  CallGraph call_graph() const;
  void check_call_cycles(const CallGraph& graph);
  // A warning for each service no request can reach from the clients.
  void warn_unreached_services(const CallGraph& graph);
  // A warning for each exchange() whose bytes cannot cross in its timeout.
  void warn_hopeless_exchanges();
  void build_timeline();
  void build_random_faults();
  void build_metrics();
  void build_cost();
  // Replicas in service at the peak of the timeline, per service.
  std::vector<int> peak_replicas() const;
  void mark_hosts_that_may_run();
  void check_resource_limits();
  static DiskSpec disk_from(const Node& disk, const std::string& type);
  HostSpec host_from(const nlohmann::json& defaults, const Node& spec, const std::string& name, bool inherited_disk);
  void add_host(HostSpec host);
  int host_index(const std::string& name) const;

  // Runs `part` of the typing; in tolerant mode, a part missing what the schema would have
  // ensured is skipped.
  template <typename Part>
  bool part(Part&& work);  // false: it stopped at a gap (tolerant mode)

  const Document& doc_;
  bool tolerant_ = false;
  bool duration_known_ = true;  // false: duration_s breaks the schema (tolerant mode)
  bool duration_blamed_ = false;  // duration_s was reported too short: not compared again
  struct Follow {
    int source = -1;
    std::string by;
  };
  std::unordered_map<int, Follow> endpoints_from_;  // see endpoints_follow()
  // Gives each service that follows another the endpoints of its source, reporting loops.
  void copy_followed_endpoints();
  std::set<std::string> unplaced_;                // services whose host could not be named
  std::vector<std::string> pruned_;  // where the schema's errors were (tolerant only)
  const Catalog& catalog_;
  nlohmann::json filled_;  // the document with the schema's defaults
  Node root_;
  struct Exchange {
    int from, to;
    double bytes, timeout_s;
    std::string pointer;
  };
  std::vector<Exchange> exchanges_;
  nlohmann::json profile_;
  std::deque<nlohmann::json> synthesized_;  // documents behind defaults() nodes
  std::unordered_map<std::string, int> host_names_;
  Scenario s_;
  std::vector<Diagnostic> problems_;
};

}  // namespace archsim

// The scenario side of the timeline (parsing timed actions) and the schema's defaults.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "core/embedded.hpp"
#include "kinds/catalog.hpp"
#include "kinds/database/database_kind.hpp"
#include "kinds/load_balancer/load_balancer_kind.hpp"
#include "scenario/actions.hpp"
#include "scenario/builder.hpp"
#include "scenario/document.hpp"
#include "scenario/schema_validator.hpp"

using namespace archsim;
using nlohmann::json;

namespace {

json base() {
  return json::parse(R"({
    "description": "t", "duration_s": 100,
    "hosts": {"a": {"cores": 2}, "b": {"cores": 2}},
    "services": {
      "web": {"kind": "app_server", "host": {"cores": 2}, "workers": 4, "replicas": 2, "max_replicas": 3,
              "endpoints": {"home": {"steps": [{"cpu_ms": 1}]}}}
    },
    "clients": {"users": {"model": "open", "target": "web", "rate_rps": 10,
                          "operations": {"home": {"weight": 1, "endpoint": "home"}}}}
  })");
}

Scenario build(const json& doc) {
  return build_scenario(Document::from_text(doc.dump(), "t.json"), kinds::catalog());
}

// The warnings of a scenario but those of base()'s hosts a and b, which no service runs on.
std::vector<std::string> timeline_warnings(const json& doc) {
  std::vector<std::string> out;
  for (const auto& w : build(doc).warnings)
    if (w.find("no service runs on it") == std::string::npos) out.push_back(w);
  return out;
}

std::vector<Diagnostic> problems(const json& doc) {
  try {
    build(doc);
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

}  // namespace

TEST_CASE("timeline: every action is typed with its kind, target and options, in time order") {
  json doc = base();
  doc["faults"]["events"] = json::parse(R"([
    {"at_s": 30, "degrade": {"host": "a", "cpu_factor": 4}, "duration_s": 10},
    {"at_s": 10, "crash": {"replica": "web-2"}, "duration_s": 5},
    {"at_s": 20, "partition": [["a"], ["b"]]},
    {"at_s": 25, "heal": true},
    {"at_s": 40, "scale": {"service": "web", "replicas": 3}},
    {"at_s": 50, "cut": {"host": "b"}, "duration_s": 2}
  ])");
  const Scenario s = build(doc);
  REQUIRE(s.actions.size() == 6);
  std::vector<std::string> keys;
  for (const auto& a : s.actions) keys.push_back(a.kind->key());
  CHECK(keys == std::vector<std::string>{"crash", "partition", "heal", "degrade", "scale", "cut"});
  const ActionSpec& crash = s.actions[0];
  REQUIRE(crash.target);
  CHECK(crash.target->kind == Target::Kind::Replica);
  CHECK(crash.target->index == s.service_index("web"));
  CHECK(crash.target->replica == 1);
  CHECK(crash.duration_s == Approx(5));
  const auto& groups = s.actions[1].options_as<PartitionAction>().groups;
  CHECK(groups == std::vector<std::vector<int>>{{s.host_index("a")}, {s.host_index("b")}});
  const auto& degrade = s.actions[3].options_as<DegradeAction>();
  CHECK(degrade.cpu_factor == 4);
  CHECK(degrade.disk_factor == 1);  // the schema's default: not slowed
  // The degraded host gets a power state for the factor.
  CHECK(s.hosts[static_cast<std::size_t>(s.host_index("a"))].cpu_factors == std::vector<double>{1, 4});
  CHECK(s.actions[4].options_as<ScaleAction>().replicas == 3);
  CHECK(s.actions[5].target->kind == Target::Kind::Host);
}

TEST_CASE("timeline: an action that would undo what nothing holds is a warning, one that undoes something is not") {
  const auto warnings_of = [](const char* events) {
    json doc = base();
    doc["faults"]["events"] = json::parse(events);
    return timeline_warnings(doc);
  };
  // Each undoes what an earlier action still holds: no warning.
  CHECK(warnings_of(R"([{"at_s": 10, "crash": {"host": "a"}}, {"at_s": 20, "recover": {"host": "a"}},
                        {"at_s": 10, "crash": {"service": "web"}}, {"at_s": 20, "recover": {"replica": "web-2"}},
                        {"at_s": 21, "recover": {"service": "web"}},
                        {"at_s": 10, "cut": {"host": "b"}}, {"at_s": 20, "reconnect": {"host": "b"}},
                        {"at_s": 10, "partition": [["a"], ["b"]]}, {"at_s": 20, "heal": true},
                        {"at_s": 10, "degrade": {"host": "a", "cpu_factor": 2}}, {"at_s": 20, "restore": {"host": "a"}}])")
            .empty());
  // Each comes when nothing it undoes holds: before the action, after its duration, on
  // another target, or a second time.
  const auto warnings = warnings_of(R"([
    {"at_s": 5, "recover": {"host": "a"}},
    {"at_s": 10, "crash": {"host": "a"}, "duration_s": 5},
    {"at_s": 15, "recover": {"host": "a"}},
    {"at_s": 20, "crash": {"replica": "web-1"}},
    {"at_s": 21, "recover": {"replica": "web-2"}},
    {"at_s": 22, "recover": {"service": "web"}},
    {"at_s": 23, "recover": {"service": "web"}},
    {"at_s": 30, "reconnect": {"host": "b"}},
    {"at_s": 40, "heal": true},
    {"at_s": 50, "restore": {"host": "b"}},
    {"at_s": 200, "recover": {"host": "b"}}
  ])");
  // The last comes after the end of the run: that is its only warning.
  REQUIRE(warnings.size() == 8);
  CHECK_THAT(warnings[0], Catch::Contains("/faults/events/10/at_s: comes at or after the end of the run"));
  CHECK_THAT(warnings[1], Catch::Contains("/faults/events/0: recover at 5.0 s does nothing: a is not down then"));
  CHECK_THAT(warnings[2], Catch::Contains("/faults/events/2: recover at 15.0 s does nothing: a is not down then"));
  CHECK_THAT(warnings[3], Catch::Contains("/faults/events/4: recover at 21.0 s does nothing: web-2 is not down then"));
  CHECK_THAT(warnings[4], Catch::Contains("/faults/events/6: recover at 23.0 s does nothing: no replica of web is down"));
  CHECK_THAT(warnings[5], Catch::Contains("/faults/events/7: reconnect at 30.0 s does nothing: b's link is not cut"));
  CHECK_THAT(warnings[6], Catch::Contains("/faults/events/8: heal at 40.0 s does nothing: the network is not partitioned"));
  CHECK_THAT(warnings[7], Catch::Contains("/faults/events/9: restore at 50.0 s does nothing: b is not degraded"));
}

TEST_CASE("timeline: the end of an action's duration ends its own hold only, as the run plays it") {
  const auto warnings_of = [](const char* events) {
    json doc = base();
    doc["faults"]["events"] = json::parse(events);
    return timeline_warnings(doc);
  };
  // A restore (recover, reconnect) ends the first; the second, without an end, still holds at
  // 80 although the first one's duration ends at 51.
  CHECK(warnings_of(R"([{"at_s": 1, "degrade": {"host": "a", "cpu_factor": 2}, "duration_s": 50},
                        {"at_s": 10, "restore": {"host": "a"}},
                        {"at_s": 20, "degrade": {"host": "a", "cpu_factor": 3}},
                        {"at_s": 80, "restore": {"host": "a"}},
                        {"at_s": 1, "crash": {"host": "b"}, "duration_s": 50},
                        {"at_s": 10, "recover": {"host": "b"}},
                        {"at_s": 20, "crash": {"host": "b"}},
                        {"at_s": 80, "recover": {"host": "b"}},
                        {"at_s": 1, "partition": [["a"], ["b"]], "duration_s": 50},
                        {"at_s": 20, "partition": [["a", "b"], ["web-1"]]},
                        {"at_s": 80, "heal": true}])")
            .empty());
  // A replica whose host is down: the recover names the host.
  const auto host_down = warnings_of(R"([{"at_s": 1, "crash": {"host": "web-1"}},
                                         {"at_s": 2, "recover": {"replica": "web-1"}}])");
  REQUIRE(host_down.size() == 1);
  CHECK_THAT(host_down[0], Catch::Contains("recover at 2.0 s does nothing: the host of web-1 is down, not its process"));
}

TEST_CASE("timeline: a fault on a replica that never comes into service is a warning") {
  // web has 2 replicas in service and a third parked.
  json doc = base();
  doc["faults"] = json::parse(R"({"events": [{"at_s": 10, "crash": {"replica": "web-3"}, "duration_s": 5},
                                             {"at_s": 11, "crash": {"host": "web-3"}},
                                             {"at_s": 12, "crash": {"replica": "web-2"}}],
                                  "random": [{"replica": "web-3", "mtbf_s": 10, "mttr_s": 1}]})");
  const auto warnings = timeline_warnings(doc);
  REQUIRE(warnings.size() == 3);
  CHECK_THAT(warnings[0], Catch::Contains("/faults/events/0: web-3 never comes into service") &&
                              Catch::Contains("its crash does nothing"));
  CHECK_THAT(warnings[1], Catch::Contains("/faults/events/1: web-3 never comes into service"));
  CHECK_THAT(warnings[2], Catch::Contains("/faults/random/0: web-3 never comes into service") &&
                              Catch::Contains("its random failures do nothing"));
  // A scale that brings it in makes each of them count.
  doc["faults"]["events"].push_back(json::parse(R"({"at_s": 40, "scale": {"service": "web", "replicas": 3}})"));
  CHECK(timeline_warnings(doc).empty());
}

TEST_CASE("a host no service runs on is a warning") {
  json doc = base();
  const auto warnings = build(doc).warnings;
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0] == "t.json: /hosts/a: no service runs on it: it is billed (cost) and does nothing");
  CHECK_THAT(warnings[1], Catch::StartsWith("t.json: /hosts/b: no service runs on it"));
  doc["services"]["web"]["host"] = "a";
  doc["services"]["web"]["replicas"] = 1;
  doc["services"]["web"]["max_replicas"] = 1;
  CHECK(build(doc).warnings.size() == 1);
}

TEST_CASE("timeline: parked capacity and the hosts that may run") {
  json doc = base();
  Scenario s = build(doc);
  const HostSpec& parked = s.hosts[static_cast<std::size_t>(s.host_index("web-3"))];
  CHECK(parked.parked);
  CHECK_FALSE(parked.may_run);  // nothing brings it into service
  doc["faults"]["events"] = json::parse(R"([{"at_s": 40, "scale": {"service": "web", "replicas": 3}}])");
  s = build(doc);
  CHECK(s.hosts[static_cast<std::size_t>(s.host_index("web-3"))].may_run);
  CHECK(s.services[0].dedicated_hosts);
}

TEST_CASE("timeline: bad actions are reported where they are") {
  json doc = base();
  doc["faults"]["events"] = json::parse(R"([
    {"at_s": 1, "degrade": {"host": "a"}},
    {"at_s": 2, "partition": [["a"], ["a", "zz"]]},
    {"at_s": 3, "scale": {"service": "web", "replicas": 4}},
    {"at_s": 4, "crash": {"host": "c"}}
  ])");
  const auto ds = problems(doc);
  auto has = [&ds](const std::string& pointer, const std::string& rule) {
    for (const auto& d : ds)
      if (d.pointer == pointer && d.rule.find(rule) != std::string::npos) return true;
    return false;
  };
  CHECK(has("/faults/events/0/degrade", "needs cpu_factor, disk_factor or both"));
  CHECK(has("/faults/events/1/partition/1/0", "a host can be in only one group"));
  CHECK(has("/faults/events/1/partition/1/1", "no such host"));
  CHECK(has("/faults/events/2/scale/replicas", "exceeds the service's max_replicas (3)"));
  CHECK(has("/faults/events/3/crash/host", "no such host"));
}

TEST_CASE("defaults come from the schema, filled into the document before typing") {
  const SchemaValidator validator(json::parse(embedded::scenario_schema()));
  json doc = base();
  validator.fill_defaults(doc);
  CHECK(doc["seed"] == 1);
  CHECK(doc["warmup_s"] == 0);
  CHECK(doc["platform"]["profile"] == "default");
  CHECK(doc["metrics"]["window_s"] == 1);
  CHECK(doc["metrics"]["slo"]["success_ratio"] == 0.99);
  const json& web = doc["services"]["web"];
  CHECK(web["queue_limit"] == 1000);
  CHECK(web["buffer_cache_hit_ratio"] == 0);
  CHECK(web["endpoints"]["home"]["access"] == "read");
  const json& users = doc["clients"]["users"];
  CHECK(users["keys"]["count"] == 100000);  // an absent object gets {} and its members' defaults
  CHECK(users["sessions"]["mean_requests"] == 20);
  CHECK(users["schedule_shape"] == "step");
  CHECK_FALSE(users.contains("retry"));  // no default: absent means no retries
  CHECK_FALSE(users.contains("users"));  // a property of the other oneOf branch (closed loop)

  // The typed scenario reads exactly those values.
  const Scenario s = build(base());
  CHECK(s.seed == 1);
  CHECK(s.services[0].queue_limit == 1000);
  CHECK(s.clients[0].keys.count == 100000);
  CHECK_FALSE(s.clients[0].retry);
  CHECK(s.metrics.slo.success_ratio == 0.99);
}

TEST_CASE("defaults of kinds' options: a balancer's and a replicated database's") {
  json doc = base();
  doc["services"]["lb"] = json::parse(R"({"kind": "load_balancer", "host": {"cores": 1}, "backend": "web"})");
  doc["services"]["db"] = json::parse(R"({"kind": "database", "host": {"cores": 2}, "replicas": 3,
      "max_connections": 4, "buffer_cache_hit_ratio": 0.5, "endpoints": {"get": {"steps": [{"read_kb": 4}]}}})");
  doc["services"]["web"]["endpoints"]["home"]["steps"].push_back(json::parse(R"({"call": "db", "endpoint": "get"})"));
  const Scenario s = build(doc);
  const ServiceSpec& lb = s.services[static_cast<std::size_t>(s.service_index("lb"))];
  const auto& options = lb.options_as<kinds::load_balancer::LoadBalancerOptions>();
  CHECK(options.cpu_ms.mean() == Approx(0.05));
  CHECK(options.policy.kind == PolicyKind::RoundRobin);
  CHECK(options.policy.virtual_nodes == 100);
  CHECK(lb.workers == 10000);
  REQUIRE(lb.health_check);  // a balancer always checks, with the schema's defaults
  CHECK(lb.health_check->interval_s == Approx(2.0));
  const ServiceSpec& db = s.services[static_cast<std::size_t>(s.service_index("db"))];
  const auto* replication = kinds::database::replication_of(db);
  REQUIRE(replication);  // three replicas: replicated with the schema's defaults
  CHECK(replication->stream_bytes == 1024);
  CHECK(replication->promotion_s == 5);
  REQUIRE(replication->apply_steps.size() == 1);
  CHECK(std::string(replication->apply_steps[0].kind->key()) == "cpu_ms");
  REQUIRE(db.health_check);
}

TEST_CASE("a service no request reaches is a warning, one reached through calls, a balancer or a broker is not") {
  json doc = base();
  doc.erase("hosts");
  doc["services"]["db"] = json::parse(
      R"({"kind": "app_server", "host": {"cores": 2}, "workers": 4, "endpoints": {"q": {"steps": [{"cpu_ms": 1}]}}})");
  auto warnings = build(doc).warnings;
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "t.json: /services/db: no request reaches it (no client targets it and no step calls it): it "
                       "serves nothing, and its hosts are billed");
  // A call reaches it.
  doc["services"]["web"]["endpoints"]["home"]["steps"].push_back(json::parse(R"({"call": "db", "endpoint": "q"})"));
  CHECK(build(doc).warnings.empty());
  // A balancer in front of web: web is reached through it.
  doc["services"]["lb"] = json::parse(R"({"kind": "load_balancer", "host": {"cores": 2}, "backend": "web"})");
  doc["clients"]["users"]["target"] = "lb";
  CHECK(build(doc).warnings.empty());
  // A consumer of a topic nothing publishes to.
  doc["services"]["mq"] = json::parse(R"({"kind": "queue", "host": {"cores": 2}, "topics": {"jobs": {}}})");
  doc["services"]["worker"] = json::parse(
      R"({"kind": "consumer", "host": {"cores": 1}, "queue": "mq", "topic": "jobs", "steps": [{"cpu_ms": 1}]})");
  warnings = build(doc).warnings;
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::StartsWith("t.json: /services/mq: no request reaches it (it is reached by publish steps)"));
  CHECK_THAT(warnings[1], Catch::StartsWith("t.json: /services/worker: no request reaches it (it is reached by its "
                                            "queue's deliveries)"));
  doc["services"]["web"]["endpoints"]["home"]["steps"].push_back(json::parse(R"({"publish": "mq", "topic": "jobs"})"));
  CHECK(build(doc).warnings.empty());
}

TEST_CASE("a request whose bytes cannot cross the NICs within its timeout is a warning") {
  json doc = base();
  doc.erase("hosts");
  doc["platform"]["network"]["nic_gbps"] = 1;  // 125 MB/s
  doc["platform"]["network"]["client_gbps"] = 1;
  doc["clients"]["users"]["timeout_ms"] = 1000;
  doc["clients"]["users"]["operations"]["home"]["request_kb"] = 100000;  // 102.4 MB: 819 ms
  CHECK(build(doc).warnings.empty());
  doc["clients"]["users"]["operations"]["home"]["response_kb"] = 100000;  // 1638 ms
  const auto warnings = build(doc).warnings;
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] == "t.json: /clients/users/operations/home: its 200000 KiB (request and reply) take 1639 ms "
                       "through the NICs at best, longer than its timeout (1000 ms): every one times out");
}

TEST_CASE("a call between services that share a host is not warned for its NIC: it may take the loopback") {
  json doc = base();
  doc["platform"]["network"]["nic_gbps"] = 1;
  doc["hosts"]["a"]["nic_gbps"] = 0.001;
  doc["services"]["web"]["host"] = "a";
  doc["services"]["web"]["replicas"] = 1;
  doc["services"]["web"]["max_replicas"] = 1;
  doc["services"]["db"] = json::parse(
      R"({"kind": "app_server", "host": "a", "workers": 4, "endpoints": {"q": {"steps": [{"cpu_ms": 1}]}}})");
  doc["services"]["web"]["endpoints"]["home"]["steps"].push_back(
      json::parse(R"({"call": "db", "endpoint": "q", "request_kb": 10000, "response_kb": 0, "timeout_ms": 100})"));
  std::vector<std::string> nic;
  for (const auto& w : build(doc).warnings)
    if (w.find("through the NICs") != std::string::npos) nic.push_back(w);
  CHECK(nic.empty());
  doc["services"]["db"]["host"] = "b";
  doc["hosts"]["b"]["nic_gbps"] = 0.001;
  nic.clear();
  for (const auto& w : build(doc).warnings)
    if (w.find("through the NICs") != std::string::npos) nic.push_back(w);
  REQUIRE(nic.size() == 1);
  CHECK_THAT(nic[0], Catch::StartsWith("t.json: /services/web/endpoints/home/steps/1: its 10000 KiB"));
}

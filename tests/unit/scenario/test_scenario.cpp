#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "scenario/diagnostics.hpp"
#include "scenario/document.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"
#include "scenario/steps.hpp"

namespace fs = std::filesystem;
using archsim::Diagnostic;
using archsim::Document;
using archsim::InputError;
using archsim::Scenario;

namespace {

const char* kMinimal = R"({
  "description": "t", "duration_s": 10,
  "services": {
    "web": {"kind": "app_server", "host": {"cores": 2}, "workers": 4,
            "endpoints": {"home": {"steps": [{"cpu_ms": 1}, {"call": "db", "endpoint": "get"}]}}},
    "db": {"kind": "database", "host": {"disk": "ssd"}, "max_connections": 8, "buffer_cache_hit_ratio": 0.5,
           "endpoints": {"get": {"steps": [{"read_kb": 8}]}}}
  },
  "clients": {"users": {"model": "open", "target": "web", "rate_rps": 10,
                        "operations": {"home": {"weight": 1, "endpoint": "home"}}}}
})";

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("archsim-test-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)) +
                                        "-" + std::to_string(std::rand()));
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name) << text;
    return (path / name).string();
  }
};

std::vector<Diagnostic> problems_of(const std::string& text, const std::vector<std::pair<std::string, std::string>>& sets = {}) {
  Document doc = Document::from_text(text, "t.json");
  for (const auto& [k, v] : sets) doc.set(k, v);
  try {
    archsim::build_scenario(doc, archsim::kinds::catalog());
  } catch (const InputError& e) {
    return e.diagnostics();
  }
  return {};
}

bool has(const std::vector<Diagnostic>& ds, const std::string& pointer, const std::string& rule_part) {
  for (const auto& d : ds)
    if (d.pointer == pointer && d.rule.find(rule_part) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("a minimal scenario builds with SI units and resolved references") {
  Scenario s = archsim::build_scenario(Document::from_text(kMinimal, "t.json"), archsim::kinds::catalog());
  REQUIRE(s.services.size() == 2);
  const int web = s.service_index("web");
  const int db = s.service_index("db");
  REQUIRE(web >= 0);
  REQUIRE(db >= 0);
  const auto& step = s.services[web].endpoints[0].steps[1];
  CHECK(std::string(step.kind->key()) == "call");
  const auto& call = step.options_as<archsim::CallStep>();
  CHECK(call.service == db);
  CHECK(call.request_bytes == 1024.0);
  CHECK(call.timeout_s == 5.0);
  REQUIRE(s.hops.size() == 1);
  CHECK(s.hops[0].name == "web->db.get");
  // Dedicated hosts named after the service, with profile defaults filled in.
  REQUIRE(s.host_index("web-1") >= 0);
  const auto& host = s.hosts[s.host_index("web-1")];
  CHECK(host.cores == 2);
  CHECK(host.disk.type == "hdd");
  CHECK(host.disk.seek_s == Approx(0.010));
  CHECK(host.disk.read_bytes_per_s == Approx(1024 * 1024 / 0.030));
  CHECK(s.hosts[s.host_index("db-1")].disk.type == "ssd");
  CHECK(s.platform.network.datacenter_rtt_s == Approx(0.0005));
  CHECK(s.platform.network.nic_bytes_per_s == Approx(125e6));
  CHECK(s.platform.memory_read_bytes_per_s == Approx(1024 * 1024 / 250e-6));
  CHECK(s.clients[0].timeout_s == 2.0);
  CHECK(s.seed == 1);
}

TEST_CASE("overrides (--set) by dotted path or JSON pointer, values parsed as JSON") {
  Document doc = Document::from_text(kMinimal, "t.json");
  doc.set("clients.users.rate_rps", "250");
  doc.set("/services/web/workers", "16");
  doc.set("description", "plain text is a string");
  Scenario s = archsim::build_scenario(doc, archsim::kinds::catalog());
  CHECK(s.clients[0].rate_rps == 250);
  CHECK(s.services[s.service_index("web")].workers == 16);
  CHECK(s.description == "plain text is a string");
  CHECK(doc.origin("/clients/users/rate_rps") == "--set clients.users.rate_rps");
  CHECK(doc.origin("/clients/users/timeout_ms") == "t.json");
}

TEST_CASE("a document knows the order its files and options were applied in, and what each deleted") {
  TempDir dir;
  dir.write("base.json", kMinimal);
  const std::string child = dir.write("child.json", R"({"extends": "base.json",
                                                        "services": {"db": {"buffer_cache_hit_ratio": null}, "zz": null}})");
  Document doc = Document::load(child);
  doc.set("services.web", "null");
  const std::string base = (dir.path / "base.json").lexically_normal().string();
  CHECK(doc.applied_after(child, base));
  CHECK(doc.applied_after("--set services.web", child));
  CHECK_FALSE(doc.applied_after(base, child));
  CHECK_FALSE(doc.applied_after(child, child));
  CHECK_FALSE(doc.applied_after("--set other", base));  // not one of the document's
  CHECK(doc.removed_by("/services/web") == "--set services.web");
  CHECK(doc.removed_by("/services/db/buffer_cache_hit_ratio") == child);
  CHECK(doc.removed_by("/services/zz").empty());  // nothing was there to delete
  CHECK(doc.removed_by("/services/db").empty());  // still there
  // What a later layer puts back is no longer removed.
  doc.set("services.web", R"({"kind": "app_server"})");
  CHECK(doc.removed_by("/services/web").empty());
}

TEST_CASE("errors from overrides name the override") {
  auto ds = problems_of(kMinimal, {{"clients.users.rate_rps", "-3"}});
  REQUIRE(ds.size() == 1);
  CHECK(ds[0].format() == "--set clients.users.rate_rps: /clients/users/rate_rps: must be >= 0 (got -3)");
}

TEST_CASE("extends applies a merge patch and errors name the file that set the value") {
  TempDir dir;
  dir.write("base.json", kMinimal);
  const std::string child = dir.write("child.json", R"({
    "extends": "base.json",
    "name": "child",
    "services": {"web": {"workers": 0, "host": {"cores": 8}}},
    "clients": {"users": {"rate_rps": 20, "operations": {"home": {"weight": 2}}}}
  })");
  try {
    archsim::load_scenario(child, {}, archsim::kinds::catalog());
    FAIL("expected an error");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].file == child);
    CHECK(e.diagnostics()[0].pointer == "/services/web/workers");
  }
  dir.write("child2.json", R"({"extends": "base.json", "services": {"web": {"workers": 32}},
                               "clients": {"users": {"timeout_ms": -1}}})");
  try {
    archsim::load_scenario((dir.path / "child2.json").string(), {}, archsim::kinds::catalog());
    FAIL("expected an error");
  } catch (const InputError& e) {
    REQUIRE(e.diagnostics().size() == 1);
    CHECK(e.diagnostics()[0].file == (dir.path / "child2.json").string());
  }
  const std::string ok = dir.write("ok.json", R"({"extends": "base.json", "services": {"web": {"workers": 32}},
      "clients": {"users": {"rate_rps": 99}}})");
  Scenario s = archsim::load_scenario(ok, {}, archsim::kinds::catalog());
  CHECK(s.services[s.service_index("web")].workers == 32);
  CHECK(s.clients[0].rate_rps == 99);
  CHECK(s.services[s.service_index("db")].workers == 8);  // inherited
  CHECK(s.name == "ok");
}

TEST_CASE("extends: null deletes a key; loops and missing bases are errors") {
  TempDir dir;
  dir.write("base.json", kMinimal);
  const auto del = dir.write("del.json", R"({"extends": "base.json", "services": {"db": null},
      "hosts": {}})");
  try {
    archsim::load_scenario(del, {}, archsim::kinds::catalog());
    FAIL("expected an error");
  } catch (const InputError& e) {
    // web still calls db, which is gone
    CHECK(has(e.diagnostics(), "/services/web/endpoints/home/steps/1/call", "no such service"));
  }
  const auto a = dir.write("a.json", R"({"extends": "b.json"})");
  dir.write("b.json", R"({"extends": "a.json"})");
  CHECK_THROWS_WITH(archsim::load_scenario(a, {}, archsim::kinds::catalog()), Catch::Contains("extends chain loops back"));
  const auto missing = dir.write("m.json", R"({"extends": "nope.json"})");
  CHECK_THROWS_WITH(archsim::load_scenario(missing, {}, archsim::kinds::catalog()),
                    Catch::Contains("cannot read file: no such file"));
  // A folder given for a file says so, rather than that nothing is there.
  std::filesystem::create_directory(dir.path / "folder.json");
  CHECK_THROWS_WITH(archsim::load_scenario((dir.path / "folder.json").string(), {}, archsim::kinds::catalog()),
                    Catch::Contains("cannot read file: it is a folder"));
}

TEST_CASE("invalid JSON is reported with its position") {
  CHECK_THROWS_WITH(Document::from_text("{\"a\": }", "bad.json"), Catch::Contains("bad.json: /: invalid JSON"));
  // A number too large for a double: its pointer, the line and column where it starts.
  CHECK_THROWS_WITH(Document::from_text("{\"a\": [1,\n  2, -1e999]}", "big.json"),
                    Catch::Equals("big.json: /a/2: number too large for a double (line 2, column 6) (got -1e999)"));
  CHECK_THROWS_WITH(Document::from_text("1e400", "big.json"),
                    Catch::Equals("big.json: /: number too large for a double (line 1, column 1) (got 1e400)"));
}

TEST_CASE("semantic rules: each broken reference or impossible value is reported") {
  using V = std::vector<std::pair<std::string, std::string>>;
  SECTION("unknown host") {
    auto ds = problems_of(kMinimal, V{{"services.web.host", "\"nodee1\""}});
    CHECK(has(ds, "/services/web/host", "no such host"));
  }
  SECTION("unknown service in a call, with a suggestion") {
    auto ds = problems_of(kMinimal, V{{"/services/web/endpoints/home/steps/1/call", "\"dbb\""}});
    CHECK(has(ds, "/services/web/endpoints/home/steps/1/call", "no such service (did you mean \"db\"?)"));
  }
  SECTION("unknown endpoint") {
    auto ds = problems_of(kMinimal, V{{"/services/web/endpoints/home/steps/1/endpoint", "\"gett\""}});
    CHECK(has(ds, "/services/web/endpoints/home/steps/1/endpoint", "has no such endpoint"));
  }
  SECTION("client target and operation endpoint") {
    auto ds = problems_of(kMinimal, V{{"clients.users.target", "\"api\""}});
    CHECK(has(ds, "/clients/users/target", "no such service"));
    ds = problems_of(kMinimal, V{{"clients.users.operations.home.endpoint", "\"index\""}});
    CHECK(has(ds, "/clients/users/operations/home/endpoint", "has no such endpoint"));
  }
  SECTION("warm-up not shorter than the run") {
    auto ds = problems_of(kMinimal, V{{"warmup_s", "10"}});
    CHECK(has(ds, "/warmup_s", "must be less than duration_s"));
  }
  SECTION("lognormal p99 below its mean, and beyond the possible ratio") {
    auto ds = problems_of(kMinimal, V{{"/services/web/endpoints/home/steps/0/cpu_ms", R"({"dist":"lognormal","mean":5,"p99":4})"}});
    CHECK(has(ds, "/services/web/endpoints/home/steps/0/cpu_ms/p99", "must be greater than mean"));
    ds = problems_of(kMinimal, V{{"/services/web/endpoints/home/steps/0/cpu_ms", R"({"dist":"lognormal","mean":1,"p99":100})"}});
    CHECK(has(ds, "/services/web/endpoints/home/steps/0/cpu_ms/p99", "at most"));
  }
  SECTION("uniform with min above max") {
    auto ds = problems_of(kMinimal, V{{"/services/web/endpoints/home/steps/0/cpu_ms", R"({"dist":"uniform","min":5,"max":4})"}});
    CHECK(has(ds, "/services/web/endpoints/home/steps/0/cpu_ms/max", "must be >= min"));
  }
  SECTION("unknown disk type") {
    auto ds = problems_of(kMinimal, V{{"services.db.host", R"({"disk": "nvme"})"}});
    CHECK(has(ds, "/services/db/host/disk", "unknown disk type (the profile has: hdd, ssd)"));
  }
  SECTION("a call cycle") {
    auto ds = problems_of(kMinimal, V{{"/services/db/endpoints/get/steps/0", R"({"call":"web","endpoint":"home"})"}});
    bool found = false;
    for (const auto& d : ds) found |= d.rule.find("calls form a cycle") != std::string::npos;
    CHECK(found);
  }
  SECTION("a forward that is not the last step") {
    auto ds = problems_of(kMinimal, V{{"/services/web/endpoints/home/steps/0", R"({"forward":"db","endpoint":"get"})"}});
    CHECK(has(ds, "/services/web/endpoints/home/steps/0", "must be the last step"));
  }
  SECTION("a connection pool for a service never called") {
    auto ds = problems_of(kMinimal, V{{"services.db.connection_pools", R"({"web": {"size": 2}})"}});
    CHECK(has(ds, "/services/db/connection_pools/web", "never calls web"));
  }
  SECTION("schedule times must increase") {
    auto ds = problems_of(kMinimal, V{{"clients.users.schedule", R"([{"at_s": 5, "rate_rps": 1}, {"at_s": 5, "rate_rps": 2}])"}});
    CHECK(has(ds, "/clients/users/schedule/1/at_s", "must increase"));
  }
  SECTION("window longer than the run") {
    auto ds = problems_of(kMinimal, V{{"metrics.window_s", "20"}});
    CHECK(has(ds, "/metrics/window_s", "must not exceed duration_s"));
  }
  SECTION("every problem is reported at once") {
    auto ds = problems_of(kMinimal, V{{"clients.users.rate_rps", "-1"}, {"services.web.workerz", "3"},
                                      {"duration_s", "\"long\""}});
    CHECK(ds.size() == 3);
  }
}

// The cost model's arithmetic on deterministic usage, and the profile's prices.
#include <catch2/catch.hpp>

#include <algorithm>

#include <nlohmann/json.hpp>

#include "analysis/cost_model.hpp"
#include "core/embedded.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"
#include "scenario/document.hpp"
#include "scenario/schema_validator.hpp"

using namespace archsim;

namespace {

// Two regions (eu in the East Asia price tier), a 4-core host and a 20-core one (which
// pays the 32-core size).
Scenario scenario(const std::string& mode) {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(R"({
    "description": "t", "duration_s": 100, "warmup_s": 0,
    "platform": {"regions": {"us": {"rtt_ms": {"eu": 100}}, "eu": {"price_tier": "east_asia"}},
                 "home_region": "us"},
    "services": {"web": {"kind": "app_server", "host": {"cores": 4}, "workers": 4,
                         "endpoints": {"home": {"steps": [{"cpu_ms": 1}]}}},
                 "db": {"kind": "app_server", "host": {"cores": 20}, "workers": 4,
                        "endpoints": {"q": {"steps": [{"cpu_ms": 1}]}}}},
    "clients": {"users": {"model": "open", "target": "web", "rate_rps": 10,
                          "operations": {"home": {"weight": 1, "endpoint": "home"}}}}
  })");
  doc["cost"]["mode"] = mode;
  return build_scenario(Document::from_text(doc.dump(), "t.json"), kinds::catalog());
}

std::size_t region(const Scenario& s, const std::string& name) {
  const auto& r = s.platform.regions;
  return static_cast<std::size_t>(std::find(r.begin(), r.end(), name) - r.begin());
}

CostUsage usage(const Scenario& s) {
  CostUsage u(s);
  u.measured_s = 100;
  u.requests = 1000;                                      // 10 req/s
  u.host_running_s[static_cast<std::size_t>(s.host_index("web-1"))] = 100;  // all the time
  u.host_running_s[static_cast<std::size_t>(s.host_index("db-1"))] = 50;    // half of it
  u.origin_egress_bytes[region(s, "us")] = 2e9;           // 2 GB in 100 s from us
  u.origin_egress_bytes[region(s, "eu")] = 1e9;           // and 1 GB from eu
  u.origin_to_cdn_bytes = 1e9;
  u.cdn_egress_bytes[region(s, "us")] = 1e9;
  u.cdn_egress_bytes[region(s, "eu")] = 3e9;
  u.cdn_requests[region(s, "us")] = 100;
  u.cdn_requests[region(s, "eu")] = 300;
  u.stored_byte_seconds = 5e9 * 100;                      // 5 GB held all along
  return u;
}

}  // namespace

TEST_CASE("cost model: a host pays the smallest size with at least its cores") {
  const Scenario s = scenario("cloud");
  CHECK(host_price_per_hour(s.cost, 1) == Approx(0.096));
  CHECK(host_price_per_hour(s.cost, 4) == Approx(0.192));
  CHECK(host_price_per_hour(s.cost, 20) == Approx(1.536));
  CHECK(host_price_per_hour(s.cost, 256) == Approx(6.144 / 128 * 256));  // beyond the largest: per core
}

TEST_CASE("cost model: cloud arithmetic on a deterministic usage") {
  const Scenario s = scenario("cloud");
  CHECK(s.cost.price_tiers[region(s, "us")] == "us_europe");
  CHECK(s.cost.price_tiers[region(s, "eu")] == "east_asia");
  const MonthlyCost m = monthly_cost(s, usage(s));
  const double month_s = 730 * 3600.0;
  const double scale = month_s / 100;  // the measured 100 s to a month
  CHECK(m.host_hours == Approx(730 + 365));
  CHECK(m.compute == Approx(730 * 0.192 + 365 * 1.536));
  CHECK(m.origin_egress_gb == Approx(3 * scale));
  CHECK(m.origin_to_cdn_gb == Approx(1 * scale));
  CHECK(m.origin_egress == Approx(2 * scale * 0.09 + 1 * scale * 0.120 + 1 * scale * 0.0));
  CHECK(m.cdn_egress == Approx(1 * scale * 0.085 + 3 * scale * 0.120));
  CHECK(m.cdn_requests == Approx(400 * scale / 1e4 * 0.01));
  CHECK(m.storage_gb == Approx(5));
  CHECK(m.storage == Approx(5 * 0.023));
  CHECK(m.total == Approx(m.compute + m.origin_egress + m.cdn_egress + m.cdn_requests + m.storage));
  CHECK(m.per_million_requests == Approx(m.total / (10 * month_s / 1e6)));
  const auto j = cost_report(s, m);
  CHECK(j["mode"] == "cloud");
  CHECK(j["per_month"]["compute"].get<double>() == Approx(700.8).margin(0.005));
  CHECK(!j["assumptions"].empty());
}

TEST_CASE("cost model: on premises amortises every server and powers only running ones") {
  const Scenario s = scenario("on_premises");
  const MonthlyCost m = monthly_cost(s, usage(s));
  const double scale = 730 * 3600.0 / 100;
  const auto server = [](int cores) { return (2000 + 150.0 * cores) / (5 * 12.0) + 60; };
  const auto power = [](int cores, double hours) { return (100 + 8.0 * cores) / 1000 * 1.58 * hours * 0.127; };
  CHECK(m.compute == Approx(server(4) + server(20) + power(4, 730) + power(20, 365)));
  CHECK(m.origin_egress == Approx(4 * scale * 0.005));  // transit for all of it
  CHECK(m.cdn_egress == Approx(1 * scale * 0.085 + 3 * scale * 0.120));
}

TEST_CASE("cost model: the built-in profile's prices are the schema's defaults") {
  // A profile without prices gets the schema's: both must say the same.
  nlohmann::json profile = nlohmann::json::parse(embedded::default_profile());
  nlohmann::json bare = profile;
  bare.erase("prices");
  SchemaValidator(nlohmann::json::parse(embedded::scenario_schema())).fill_defaults(bare, "/$defs/profile");
  CHECK(bare["prices"] == profile["prices"]);
}

TEST_CASE("cost model: an unknown price tier is named with its pointer") {
  nlohmann::ordered_json doc = nlohmann::ordered_json::parse(R"({
    "description": "t", "duration_s": 10,
    "platform": {"regions": {"us": {"rtt_ms": {"eu": 100}}, "eu": {"price_tier": "mars"}}, "home_region": "us"},
    "services": {"web": {"kind": "app_server", "workers": 4, "endpoints": {"home": {"steps": [{"cpu_ms": 1}]}}}},
    "clients": {"users": {"model": "open", "target": "web", "rate_rps": 10,
                          "operations": {"home": {"weight": 1, "endpoint": "home"}}}}
  })");
  CHECK_THROWS_WITH(build_scenario(Document::from_text(doc.dump(), "t.json"), kinds::catalog()),
                    Catch::Contains("/platform/regions/eu/price_tier") && Catch::Contains("no such price tier"));
}

#include <catch2/catch.hpp>

#include "study/sweep_points.hpp"
#include "results/result_files.hpp"
#include "analysis/utilization_law.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/document.hpp"
#include "kinds/catalog.hpp"
#include "scenario/builder.hpp"

using namespace archsim;

TEST_CASE("SLO expressions: parsing, figures and checks") {
  const auto slo = parse_slo(" p99_ms <= 200 , error_rate<0.001,throughput_rps>=100");
  REQUIRE(slo.size() == 3);
  CHECK(slo[0].figure == "p99_ms");
  CHECK(slo[0].op == "<=");
  CHECK(slo[1].op == "<");
  CHECK(slo[2].value == 100);
  nlohmann::ordered_json summary = {{"latency_ms", {{"p99", 150.0}}}, {"error_rate", 0.0}, {"throughput_rps", 120.0}};
  std::string why;
  CHECK(meets_slo(summary, slo, &why));
  summary["latency_ms"]["p99"] = 250.0;
  CHECK_FALSE(meets_slo(summary, slo, &why));
  CHECK(why.find("p99_ms<=200 not met") == 0);
  CHECK_THROWS_AS(parse_slo("p99<=200"), InputError);       // unknown figure
  CHECK_THROWS_AS(parse_slo("p99_ms=200"), InputError);     // no comparison
  CHECK_THROWS_AS(parse_slo("p99_ms<=fast"), InputError);   // not a number
  CHECK_THROWS_AS(parse_slo(""), InputError);
  // Conditions no run can meet: figures are at least 0, ratios at most 1.
  CHECK_THROWS_WITH(parse_slo("p99_ms<=-5"), Catch::Contains("can never be met: p99_ms is at least 0"));
  CHECK_THROWS_AS(parse_slo("error_rate<0"), InputError);
  CHECK_THROWS_WITH(parse_slo("availability>=1.5"), Catch::Contains("availability is between 0 and 1"));
  CHECK_THROWS_AS(parse_slo("availability>1"), InputError);
  CHECK(parse_slo("error_rate<=0,availability>=1,p99_ms<=0,throughput_rps>=1e9").size() == 4);  // hard, not impossible
  // Conditions every run meets (a percent written for a fraction), and two that contradict.
  CHECK_THROWS_WITH(parse_slo("error_rate<=5"), Catch::Contains("is met by every run: error_rate is a fraction"));
  CHECK_THROWS_WITH(parse_slo("p99_ms>=0"), Catch::Contains("is met by every run"));
  CHECK(parse_slo("error_rate<=0.99,p99_ms>0").size() == 2);
  CHECK_THROWS_WITH(parse_slo("error_rate<=1"), Catch::Contains("is met by every run"));
  CHECK(parse_slo("bottleneck_utilization<=1.05").size() == 1);  // a pool's may pass 1 a little
  CHECK_THROWS_WITH(parse_slo("p99_ms<=200,p99_ms>=300"), Catch::Contains("contradicts p99_ms<=200"));
  CHECK_THROWS_AS(parse_slo("p99_ms<200,p99_ms>=200"), InputError);
  CHECK(parse_slo("p99_ms<=200,p99_ms>=200").size() == 2);
  // Without a down window a run has only a lower bound on its nines: enough for ">=".
  const nlohmann::ordered_json clean = {{"nines", nullptr}, {"nines_at_least", 2.5}};
  CHECK(meets_slo(clean, parse_slo("nines>=2")));
  CHECK_FALSE(meets_slo(clean, parse_slo("nines>=3")));
  CHECK_FALSE(meets_slo(clean, parse_slo("nines<=9")));
  CHECK(summary_figure(summary, "p99_ms").value() == 250.0);
  CHECK_FALSE(summary_figure(summary, "p50_ms").has_value());
}

TEST_CASE("sweep variations and grids") {
  const auto range = parse_variation("clients.users.rate_rps=100:300:50");
  CHECK(range.path == "clients.users.rate_rps");
  CHECK(range.values == std::vector<std::string>{"100", "150", "200", "250", "300"});
  CHECK(parse_variation("x=0.1:0.3:0.1").values == std::vector<std::string>{"0.1", "0.2", "0.3"});
  const auto list = parse_variation("services.lb.policy=round_robin,random");
  CHECK(list.values == std::vector<std::string>{"round_robin", "random"});
  const auto grid = sweep_grid({range, list});
  REQUIRE(grid.size() == 10);
  CHECK(grid[0] == std::vector<std::string>{"100", "round_robin"});
  CHECK(grid[1] == std::vector<std::string>{"100", "random"});
  CHECK(grid[9] == std::vector<std::string>{"300", "random"});
  CHECK(point_name(0) == "point-0001");
  CHECK_THROWS_AS(parse_variation("x=5:1:1"), InputError);
  CHECK_THROWS_AS(parse_variation("x=1:5:0"), InputError);
  CHECK_THROWS_AS(parse_variation("=1,2"), InputError);
  CHECK(parse_variation("x=1:2").values == std::vector<std::string>{"1:2"});  // not a range: one value
}

TEST_CASE("utilisation law: demands per request from the call graph") {
  // web: 4 ms CPU then a call to a 2-replica database (reads on the replica only);
  // database read: 1 ms CPU, 16 KB read with a 50% buffer-cache hit ratio, on an HDD.
  const char* text = R"({
    "description": "law", "duration_s": 10,
    "services": {
      "web": {"kind": "app_server", "host": {"cores": 4}, "replicas": 2, "workers": 8,
              "endpoints": {"page": {"steps": [{"cpu_ms": {"dist": "exponential", "mean": 4}},
                                               {"call": "db", "endpoint": "get", "probability": 0.5},
                                               {"call": "db", "endpoint": "put"}]}}},
      "db": {"kind": "database", "host": {"cores": 2}, "replicas": 2, "max_connections": 8,
             "buffer_cache_hit_ratio": 0.5, "replication": {"apply_steps": [{"cpu_ms": 0.5}]},
             "endpoints": {"get": {"steps": [{"cpu_ms": 1}, {"read_kb": 16}]},
                           "put": {"access": "write", "steps": [{"cpu_ms": 2}, {"write_kb": 4}]}}}
    },
    "clients": {"users": {"model": "open", "target": "web", "rate_rps": 100,
                          "operations": {"page": {"weight": 1, "endpoint": "page"}}}}
  })";
  const Scenario s = build_scenario(Document::from_text(text, "law.json"), kinds::catalog());
  const auto demands = estimate_demands(s);
  auto find = [&](const std::string& name) {
    for (const auto& d : demands)
      if (d.resource == name) return d;
    FAIL("no resource " << name);
    return ResourceDemand{};
  };
  CHECK(find("web-1.cpu").seconds_per_request == Approx(0.002));  // 4 ms over 2 replicas
  CHECK(find("web-1.cpu").capacity == 4);
  // Reads (half the requests) on db-2 only: 1 ms CPU + a memory copy of 16 KB for hits.
  const double copy = 0.5 * 16384 / s.platform.memory_read_bytes_per_s;
  CHECK(find("db-2.cpu").seconds_per_request == Approx(0.5 * (0.001 + copy) + 0.0005));  // + applying every write
  CHECK(find("db-2.disk").seconds_per_request == Approx(0.5 * 0.5 * (0.010 + 16384.0 / (1048576 / 0.030))));
  // Writes (every request) on the primary db-1.
  CHECK(find("db-1.cpu").seconds_per_request == Approx(0.002));
  CHECK(find("db-1.disk").seconds_per_request == Approx(0.010 + 4096.0 / (1048576 / 0.030)));
  // The busiest resource comes first: the primary's disk (1 / 0.0101 s, about 99 req/s).
  CHECK(demands.front().resource == "db-1.disk");
  CHECK(demands.front().saturation_rps() == Approx(1.0 / (0.010 + 4096.0 / (1048576 / 0.030))));
}

TEST_CASE("utilisation law: a choice step weighs its branches, a balancer adds its own work") {
  const char* text = R"({
    "description": "law", "duration_s": 10,
    "services": {
      "lb": {"kind": "load_balancer", "host": {"cores": 2, "core_speed": 2}, "backend": "web", "cpu_ms": 1},
      "web": {"kind": "app_server", "host": {"cores": 4}, "workers": 8,
              "endpoints": {"page": {"steps": [{"choice": [{"weight": 3, "steps": [{"cpu_ms": 2}]},
                                                           {"weight": 1, "steps": [{"cpu_ms": 10}]}]}]}}}
    },
    "clients": {"users": {"model": "open", "target": "lb", "rate_rps": 100,
                          "operations": {"page": {"weight": 1, "endpoint": "page"}}}}
  })";
  const Scenario s = build_scenario(Document::from_text(text, "law.json"), kinds::catalog());
  double web = 0, lb = 0;
  for (const auto& d : estimate_demands(s)) {
    if (d.resource == "web-1.cpu") web = d.seconds_per_request;
    if (d.resource == "lb-1.cpu") lb = d.seconds_per_request;
  }
  CHECK(web == Approx(0.75 * 0.002 + 0.25 * 0.010));
  CHECK(lb == Approx(0.0005));  // 1 ms on a reference core, twice as fast a core
}

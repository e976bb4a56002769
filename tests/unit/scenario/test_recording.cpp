// The recorder's windows and the gauges, without an engine.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "kinds/catalog.hpp"
#include "recording/gauges.hpp"
#include "recording/recorder.hpp"
#include "recording/report.hpp"
#include "scenario/builder.hpp"
#include "scenario/document.hpp"

using namespace archsim;

namespace {
Scenario scenario(double duration, double warmup, double window) {
  nlohmann::json doc = nlohmann::json::parse(R"({
    "description": "t",
    "services": {"web": {"kind": "app_server", "host": {"cores": 2}, "workers": 4,
                         "endpoints": {"home": {"steps": [{"cpu_ms": 1}]}}}},
    "clients": {"users": {"model": "open", "target": "web", "rate_rps": 10,
                          "operations": {"home": {"weight": 1, "endpoint": "home"}}}}
  })");
  doc["duration_s"] = duration;
  doc["warmup_s"] = warmup;
  doc["metrics"]["window_s"] = window;
  return build_scenario(Document::from_text(doc.dump(), "t.json"), kinds::catalog());
}
}  // namespace

TEST_CASE("recorder: windows count sends by send time and completions by completion time") {
  const Scenario s = scenario(10, 2, 1);
  Recorder r(s);
  REQUIRE(r.windows().size() == 10);
  CHECK(r.window_of(0.5) == 0);
  CHECK(r.window_of(9.999) == 9);
  CHECK(r.window_of(25) == 9);  // past the end: the last window
  r.request_sent(0, 1.5);       // during the warm-up: in the windows, not in the summary
  r.request_ended(0, 1.5, 1.6, Outcome::Ok);
  r.request_sent(0, 3.2);
  r.request_sent(0, 3.5);
  r.request_ended(0, 3.5, 3.52, Outcome::Ok);
  r.request_ended(0, 3.2, 4.1, Outcome::Timeout);  // ends in the next window
  r.finish(10);
  CHECK(r.windows()[1].sent == 1);
  CHECK(r.windows()[3].sent == 2);
  CHECK(r.windows()[3].resolved == 2);
  CHECK(r.windows()[3].succeeded == 1);
  CHECK(r.windows()[4].completed.count(Outcome::Timeout) == 1);
  CHECK(r.windows()[3].completed.ok() == 1);
  CHECK(r.windows()[3].latency_mean_s == Approx(0.02f));
  CHECK(r.overall().sent == 2);  // measured only
  CHECK(r.overall().outcomes.failed() == 1);
  // The downtime accounting reads the windows: window 3 succeeded for half its requests.
  CHECK(window_is_down(r.windows()[3], 0.99));
  CHECK_FALSE(window_is_down(r.windows()[5], 0.99));  // no request: up
  const Downtime d = compute_downtime(s, r, 10);
  CHECK(d.windows == 8);
  CHECK(d.down_windows == 1);
  CHECK(d.downtime_s == Approx(1.0));
}

TEST_CASE("gauges: levels and ratios and counters per window and over the measured period") {
  Gauges g;
  double queue = 0, work = 0, capacity = 0, hits = 0;
  const int level = g.level("depth", [&] { return queue; });
  const int ratio = g.ratio("util", [&] { return work; }, [&] { return capacity; });
  const int count = g.counter("hits", [&] { return hits; });
  CHECK(g.find("util") == ratio);
  CHECK(g.find("nope") == -1);
  g.start();
  queue = 3, work = 5, capacity = 10, hits = 7;
  CHECK(g.current(ratio) == Approx(0.5));
  auto row = g.sample();
  CHECK(row == std::vector<float>{3.0f, 0.5f, 7.0f});
  g.warmup_over();
  queue = 1, work = 5, capacity = 20, hits = 10;  // no work in this window
  row = g.sample();
  CHECK(row == std::vector<float>{1.0f, 0.0f, 3.0f});
  work = 40, capacity = 30;  // more work than capacity: a utilisation is clamped to 1
  row = g.sample();
  CHECK(row[1] == 1.0f);
  CHECK(g.measured(ratio) == Approx(1.0));  // (40 - 5) / (30 - 10), clamped
  CHECK(g.measured(count) == Approx(3.0));
  CHECK(g.measured(level) == Approx(1.0));
  CHECK(g.kind(count) == Gauges::Kind::Counter);
}

#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "results/replications.hpp"
#include "results/statistics.hpp"
#include "core/text.hpp"
#include "results/result_files.hpp"

using namespace archsim;

TEST_CASE("student t quantiles match the tables") {
  CHECK(student_t_quantile(0.975, 1) == Approx(12.7062).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 5) == Approx(2.5706).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 30) == Approx(2.0423).epsilon(1e-4));
  CHECK(student_t_quantile(0.995, 9) == Approx(3.2498).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 1e7) == Approx(1.95996).epsilon(1e-4));
  CHECK(student_t_quantile(0.025, 5) == Approx(-2.5706).epsilon(1e-4));
  CHECK(student_t_quantile(0.5, 3) == 0.0);
}

TEST_CASE("a mean's interval: its half-width and its coverage over normal samples") {
  const Interval i = mean_interval({1, 2, 3, 4, 5});
  CHECK(i.mean == Approx(3));
  CHECK(i.se == Approx(std::sqrt(2.5 / 5)));
  CHECK(i.half_width == Approx(2.7764 * std::sqrt(0.5)).epsilon(1e-4));
  CHECK(i.low == Approx(3 - i.half_width));
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal(10, 3);
  int covered = 0;
  const int experiments = 4000;
  for (int e = 0; e < experiments; ++e) {
    std::vector<double> x(5);
    for (double& v : x) v = normal(gen);
    const Interval j = mean_interval(x);
    covered += j.low <= 10 && 10 <= j.high;
  }
  // 95% with a binomial standard error of 0.34%: a normal quantile instead of t's gives 88%.
  CHECK(covered / double(experiments) == Approx(0.95).margin(0.015));
}

TEST_CASE("paired differences see a shift under common noise that an unpaired test misses") {
  std::mt19937_64 gen(3);
  std::normal_distribution<double> common(100, 10), own(0, 0.5);
  std::vector<double> a, b;
  for (int i = 0; i < 10; ++i) {
    const double shared = common(gen);
    a.push_back(shared + own(gen));
    b.push_back(shared + 1.0 + own(gen));  // b is 1 higher
  }
  const Difference paired = paired_difference(a, b);
  CHECK(paired.paired);
  CHECK(paired.significant);
  CHECK(paired.mean == Approx(1.0).margin(0.6));
  CHECK_FALSE(welch_difference(a, b).significant);
  CHECK_FALSE(paired_difference(a, a).significant);
}

TEST_CASE("replication seeds: the first is the scenario's, the others distinct and JSON-safe") {
  CHECK(replication_seed(42, 1) == 42);
  std::set<std::uint64_t> seen;
  for (int i = 1; i <= 1000; ++i) {
    const auto s = replication_seed(42, i);
    CHECK(s < (1ULL << 53));
    seen.insert(s);
  }
  CHECK(seen.size() == 1000);
  CHECK(replication_seed(43, 2) != replication_seed(42, 2));
}

TEST_CASE("MSER-5 cuts an initial transient and stops at the limit") {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> noise(0, 1);
  std::vector<double> series;
  for (int i = 0; i < 1000; ++i) series.push_back((i < 100 ? 20.0 * (1 - i / 100.0) : 0.0) + noise(gen));
  const auto cut = mser5_truncation(series, series.size());
  REQUIRE(cut);
  CHECK(*cut >= 60);
  CHECK(*cut <= 130);
  CHECK(*cut % 5 == 0);
  CHECK(*mser5_truncation(series, 50) <= 50);  // a fault at the 50th window
  std::vector<double> steady;
  for (int i = 0; i < 1000; ++i) steady.push_back(noise(gen));
  CHECK(*mser5_truncation(steady, steady.size()) <= 500);
  std::vector<double> trend;
  for (int i = 0; i < 1000; ++i) trend.push_back(i + noise(gen));
  CHECK_FALSE(mser5_truncation(trend, trend.size()));  // no steady state: too short to tell
  CHECK_FALSE(mser5_truncation({1, 2, 3}, 3));
}

TEST_CASE("batch means grow the batches until their means are uncorrelated, and cover") {
  std::mt19937_64 gen(5);
  std::normal_distribution<double> noise(0, 1);
  // AR(1) with phi 0.9 around 5: strongly correlated observations.
  const auto ar1 = [&](int n) {
    std::vector<double> x;
    double v = 0;
    for (int i = 0; i < n; ++i) {
      v = 0.9 * v + noise(gen);
      x.push_back(5 + v);
    }
    return x;
  };
  int covered = 0, runs = 0;
  for (int e = 0; e < 300; ++e) {
    const auto b = batch_means(ar1(20000), 10);
    REQUIRE(b);
    CHECK(b->batch_size > 1);
    if (!b->uncorrelated) continue;
    CHECK(b->lag1 < 0.1);
    ++runs;
    covered += b->interval.low <= 5 && 5 <= b->interval.high;
  }
  CHECK(runs >= 250);  // the criterion is met in almost every run of this length
  CHECK(covered / double(runs) >= 0.88);
  std::vector<double> short_series(30, 1.0);
  for (std::size_t i = 0; i < short_series.size(); ++i) short_series[i] = double(i);  // a trend
  CHECK_FALSE(batch_means(short_series, 10)->uncorrelated);
  CHECK_FALSE(batch_means({1, 2, 3}, 10));
  // Treating the observations as independent covers far less often.
  int naive = 0;
  for (int e = 0; e < 300; ++e) {
    const Interval i = mean_interval(ar1(4000));
    naive += i.low <= 5 && 5 <= i.high;
  }
  CHECK(naive / 300.0 < 0.6);
}

TEST_CASE("combined replications: means, an interval for every number, the first's other values") {
  using nlohmann::ordered_json;
  std::vector<ordered_json> reps = {
      {{"seed", 1}, {"throughput_rps", 10.0}, {"latency_ms", {{"p99", 100.0}}}, {"bottleneck", {{"resource", "a"}}},
       {"nines", nullptr}, {"list", {1.0, 2.0}}},
      {{"seed", 2}, {"throughput_rps", 12.0}, {"latency_ms", {{"p99", 110.0}}}, {"bottleneck", {{"resource", "b"}}},
       {"nines", 3.0}, {"list", {3.0, 4.0}}},
      {{"seed", 3}, {"throughput_rps", 14.0}, {"latency_ms", {{"p99", 90.0}}}, {"bottleneck", {{"resource", "a"}}},
       {"nines", 2.0}, {"list", {5.0, 6.0}}}};
  const ordered_json c = combine_replications(reps, {1, 2, 3});
  CHECK(c["throughput_rps"].get<double>() == Approx(12.0));
  CHECK(c["latency_ms"]["p99"].get<double>() == Approx(100.0));
  CHECK(c["list"][1].get<double>() == Approx(4.0));
  CHECK(c["seed"] == 1);
  CHECK(c["bottleneck"]["resource"] == "a");
  CHECK(c["nines"].is_null());  // not a number in every replication
  CHECK_FALSE(c["intervals"].contains("/nines"));
  CHECK_FALSE(c["intervals"].contains("/seed"));
  CHECK(c["intervals"]["/throughput_rps"]["half_width"].get<double>() == Approx(4.3027 * 2 / std::sqrt(3.0)).epsilon(1e-4));
  CHECK(c["intervals"].contains("/list/0"));
  CHECK(c["replications"]["count"] == 3);
  CHECK(figure_text(c, "/throughput_rps", 1) == "12.0 ± 5.0");
  CHECK(figure_text(c, "/latency_ms/p99", 0, 2.0) == "200 ± 50");
  CHECK(figure_text(reps[0], "/throughput_rps", 1) == "10.0");
  CHECK(figure_text(reps[0], "/missing", 1) == "-");
}

TEST_CASE("an objective on replications must hold at the interval's unfavourable end") {
  nlohmann::ordered_json s = {{"latency_ms", {{"p99", 190.0}}}, {"throughput_rps", 100.0}};
  const auto slo = parse_slo("p99_ms<=200,throughput_rps>=95");
  CHECK(meets_slo(s, slo));
  s["intervals"]["/latency_ms/p99"] = {{"mean", 190.0}, {"half_width", 15.0}, {"low", 175.0}, {"high", 205.0}};
  std::string why;
  CHECK_FALSE(meets_slo(s, slo, &why));
  CHECK(why.find("unfavourable end") != std::string::npos);
  s["intervals"]["/latency_ms/p99"]["high"] = 199.0;
  CHECK(meets_slo(s, slo));
  s["intervals"]["/throughput_rps"] = {{"mean", 100.0}, {"half_width", 6.0}, {"low", 94.0}, {"high", 106.0}};
  CHECK_FALSE(meets_slo(s, slo));  // a lower bound uses the interval's low end
  CHECK(summary_figure_pointer("p99_ms") == "/latency_ms/p99");
  CHECK(summary_figure_pointer("bottleneck_utilization") == "/bottleneck/utilization");
  CHECK(summary_figure_pointer("error_rate") == "/error_rate");
}

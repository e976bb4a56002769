// The CDN edge's policies without an engine: request counting in a sliding window, the
// cost policies' verdicts, and object sizes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kinds/cdn/edge_policy.hpp"

using namespace archsim;
using namespace archsim::kinds::cdn;

TEST_CASE("request counter: counts within the window and up to its cap") {
  RequestCounter c(10.0, 3);
  CHECK(c.record(7, 0.0) == 1);
  CHECK(c.record(7, 1.0) == 2);
  CHECK(c.record(8, 1.5) == 1);  // another object
  CHECK(c.record(7, 2.0) == 3);
  CHECK(c.record(7, 3.0) == 3);  // capped
  CHECK(c.count(7, 3.0) == 3);
  // At t = 12.5 the requests at 0, 1 and 2 have left the window: 3 remains.
  CHECK(c.count(7, 12.5) == 1);
  CHECK(c.record(7, 12.5) == 2);
  CHECK(c.count(9, 0.0) == 0);
}

TEST_CASE("request counter: memory follows the objects of one window, not every object seen") {
  // A new object every millisecond for 1,000 s with a 1 s window: a million objects seen,
  // about 1,000 within the window at any time.
  RequestCounter c(1.0, 2);
  std::size_t most = 0;
  for (std::uint64_t k = 0; k < 1000000; ++k) {
    c.record(k, static_cast<double>(k) * 0.001);
    most = std::max(most, c.tracked());
  }
  CHECK(most <= 3 * 1000 + 1024);
  // Long after: every object left the window; the sweeps drop them as requests come in.
  for (int i = 0; i < 20000; ++i) c.record(1, 5000.0 + i * 1e-6);
  CHECK(c.tracked() < 100);
}

namespace {
CdnOptions options() {
  CdnOptions o;
  o.object_kb = Distribution::constant(100);
  return o;
}
}  // namespace

TEST_CASE("edge policy: without rules every object is stored whole") {
  const CdnOptions o = options();
  EdgePolicy p(o);
  const EdgeVerdict v = p.decide(1, 0.0);
  CHECK(v.store);
  CHECK_FALSE(v.bypass);
  CHECK_FALSE(v.compressed);
}

TEST_CASE("edge policy: admission stores an object from its k-th request in the window") {
  CdnOptions o = options();
  o.admission = DemandRule{3, 60.0};
  EdgePolicy p(o);
  CHECK_FALSE(p.decide(1, 0.0).store);
  CHECK_FALSE(p.decide(1, 1.0).store);
  CHECK(p.decide(1, 2.0).store);
  CHECK(p.decide(1, 3.0).store);
  // Requests too far apart never make it.
  CHECK_FALSE(p.decide(2, 0.0).store);
  CHECK_FALSE(p.decide(2, 100.0).store);
  CHECK_FALSE(p.decide(2, 200.0).store);
}

TEST_CASE("edge policy: bypass sends low-demand objects to the origin") {
  CdnOptions o = options();
  o.bypass = DemandRule{2, 60.0};
  EdgePolicy p(o);
  EdgeVerdict v = p.decide(1, 0.0);
  CHECK(v.bypass);
  CHECK_FALSE(v.store);
  CHECK(p.decide(1, 1.0).bypass);
  v = p.decide(1, 2.0);  // the third request within the window
  CHECK_FALSE(v.bypass);
  CHECK(v.store);
}

TEST_CASE("edge policy: compress keeps low-demand objects compressed until they are popular") {
  CdnOptions o = options();
  Compression c;
  c.rule = DemandRule{2, 60.0};
  c.ratio = 0.3;
  o.compress = c;
  EdgePolicy p(o);
  CHECK(p.decide(1, 0.0).compressed);
  CHECK(p.decide(1, 1.0).compressed);
  CHECK_FALSE(p.decide(1, 2.0).compressed);
  CHECK(p.decide(1, 2.0).store);
}

TEST_CASE("object sizes: one size per object, distributed as configured") {
  const auto sizes = Distribution::exponential(50);
  CHECK(object_bytes(sizes, 42) == object_bytes(sizes, 42));
  double sum = 0;
  const int n = 200000;
  for (int k = 0; k < n; ++k) sum += object_bytes(sizes, static_cast<std::uint64_t>(k));
  CHECK(sum / n == Approx(50 * 1024.0).epsilon(0.01));
  CHECK(object_bytes(Distribution::constant(10), 7) == Approx(10 * 1024.0));
  // An empirical list: every object takes one of its values, in their proportions.
  const auto listed = Distribution::empirical({1, 2, 2, 5});
  int twos = 0;
  for (int k = 0; k < 40000; ++k) twos += object_bytes(listed, static_cast<std::uint64_t>(k)) == 2 * 1024.0;
  CHECK(twos / 40000.0 == Approx(0.5).margin(0.01));
}

// The load balancer's policies and health tracking, without an engine (the database's read
// routing uses the same ones).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <vector>

#include "kinds/load_balancer/balancing_policy.hpp"
#include "kinds/load_balancer/health_checker.hpp"

using namespace archsim;

namespace {
BackendView all_healthy(int n) {
  BackendView view{std::vector<bool>(n, true), std::vector<int>(n, 0), {}};
  view.index_health();
  return view;
}

std::vector<int> counts(BalancingPolicy& p, BackendView view, int requests, RandomStream& rng) {
  std::vector<int> c(view.healthy.size(), 0);
  for (int i = 0; i < requests; ++i) {
    const int b = p.choose({static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i)}, view, rng);
    REQUIRE(b >= 0);
    c[static_cast<std::size_t>(b)]++;
  }
  return c;
}
}  // namespace

TEST_CASE("round robin cycles over the healthy backends") {
  RoundRobinPolicy p;
  RandomStream rng(1, "rr");
  auto view = all_healthy(3);
  std::vector<int> order;
  for (int i = 0; i < 6; ++i) order.push_back(p.choose({}, view, rng));
  CHECK(order == std::vector<int>{0, 1, 2, 0, 1, 2});
  view.healthy[1] = false;
  view.index_health();
  for (int i = 0; i < 4; ++i) CHECK(p.choose({}, view, rng) != 1);
  view.healthy.assign(3, false);
  view.index_health();
  CHECK(p.choose({}, view, rng) == -1);
}

TEST_CASE("smooth weighted round robin follows the weights, interleaved") {
  WeightedRoundRobinPolicy p({5, 1, 1});
  RandomStream rng(1, "wrr");
  auto view = all_healthy(3);
  std::vector<int> order;
  for (int i = 0; i < 7; ++i) order.push_back(p.choose({}, view, rng));
  CHECK(order == std::vector<int>{0, 0, 1, 0, 2, 0, 0});  // nginx's documented sequence for 5,1,1
  auto c = counts(p, view, 7000, rng);
  CHECK(c[0] == 5000);
  CHECK(c[1] == 1000);
  view.healthy[0] = false;
  view.index_health();
  c = counts(p, view, 1000, rng);
  CHECK(c[0] == 0);
  CHECK(c[1] == 500);
}

TEST_CASE("random spreads uniformly over healthy backends") {
  RandomPolicy p;
  RandomStream rng(2, "random");
  auto view = all_healthy(4);
  view.healthy[3] = false;
  view.index_health();
  auto c = counts(p, view, 30000, rng);
  CHECK(c[3] == 0);
  for (int i = 0; i < 3; ++i) CHECK(c[i] == Approx(10000).epsilon(0.04));
}

TEST_CASE("least connections picks the emptiest healthy backend, ties in turn") {
  LeastConnectionsPolicy p;
  RandomStream rng(3, "lc");
  BackendView view{{true, true, true}, {5, 2, 7}, {}};
  view.index_health();
  CHECK(p.choose({}, view, rng) == 1);
  view.healthy[1] = false;
  view.index_health();
  CHECK(p.choose({}, view, rng) == 0);
  BackendView tie{{true, true, true}, {1, 1, 1}, {}};
  tie.index_health();
  std::vector<int> picks;
  for (int i = 0; i < 3; ++i) picks.push_back(p.choose({}, tie, rng));
  std::sort(picks.begin(), picks.end());
  CHECK(picks == std::vector<int>{0, 1, 2});
}

TEST_CASE("power of two choices prefers the less loaded of two random backends") {
  PowerOfDPolicy p(2);
  RandomStream rng(4, "p2c");
  BackendView view{{true, true, true, true}, {0, 100, 100, 100}, {}};
  view.index_health();
  auto c = counts(p, view, 30000, rng);
  // Backend 0 wins whenever it is one of the two drawn: probability 1/2.
  CHECK(c[0] == Approx(15000).epsilon(0.03));
  BackendView one{{false, true, false}, {0, 0, 0}, {}};
  one.index_health();
  CHECK(p.choose({}, one, rng) == 1);
}

TEST_CASE("power of d choices draws d distinct healthy backends") {
  PowerOfDPolicy p(3);
  RandomStream rng(6, "pdc");
  BackendView view{{true, true, true, true, false}, {100, 0, 100, 100, 0}, {}};
  view.index_health();
  auto c = counts(p, view, 30000, rng);
  // Backend 1 wins whenever it is among the three drawn of the four healthy: 3/4.
  CHECK(c[1] == Approx(22500).epsilon(0.02));
  CHECK(c[4] == 0);  // unhealthy, however idle
  // d larger than the healthy backends: the least loaded of them all, every time.
  PowerOfDPolicy wide(10);
  for (int i = 0; i < 100; ++i) CHECK(wide.choose({}, view, rng) == 1);
}

TEST_CASE("sticky sessions stay, move when their backend dies, and are counted as lost") {
  StickyPolicy p;
  RandomStream rng(5, "sticky");
  auto view = all_healthy(3);
  std::map<int, int> first;
  for (int s = 0; s < 30; ++s) first[s] = p.choose({static_cast<std::uint64_t>(s), 0}, view, rng);
  for (int s = 0; s < 30; ++s) CHECK(p.choose({static_cast<std::uint64_t>(s), 0}, view, rng) == first[s]);
  view.healthy[1] = false;
  view.index_health();
  int moved = 0;
  for (int s = 0; s < 30; ++s) {
    const int b = p.choose({static_cast<std::uint64_t>(s), 0}, view, rng);
    CHECK(b != 1);
    moved += first[s] == 1;
  }
  CHECK(moved == 10);
  CHECK(p.lost_sessions() == 10);
  p.end_session(0);
  CHECK(p.sessions() == 29);
}

TEST_CASE("hash mod N remaps most keys when a backend fails; consistent hashing about 1/n") {
  RandomStream rng(6, "hash");
  const int n = 10;
  auto view = all_healthy(n);
  HashPolicy mod(HashOn::Key);
  ConsistentHashPolicy ring(n, 200, HashOn::Key);
  std::vector<int> before_mod, before_ring;
  const int keys = 20000;
  for (int k = 0; k < keys; ++k) {
    before_mod.push_back(mod.choose({0, static_cast<std::uint64_t>(k)}, view, rng));
    before_ring.push_back(ring.choose({0, static_cast<std::uint64_t>(k)}, view, rng));
  }
  view.healthy[3] = false;
  view.index_health();
  int moved_mod = 0, moved_ring = 0, moved_ring_not_from_3 = 0;
  for (int k = 0; k < keys; ++k) {
    const int m = mod.choose({0, static_cast<std::uint64_t>(k)}, view, rng);
    const int r = ring.choose({0, static_cast<std::uint64_t>(k)}, view, rng);
    CHECK(m != 3);
    CHECK(r != 3);
    moved_mod += m != before_mod[k];
    moved_ring += r != before_ring[k];
    moved_ring_not_from_3 += (r != before_ring[k]) && before_ring[k] != 3;
  }
  CHECK(moved_mod > 0.8 * keys);                   // ~ (n-1)/n of the keys move
  CHECK(moved_ring < 0.15 * keys);                 // ~ 1/n: only the dead backend's keys
  CHECK(moved_ring_not_from_3 == 0);               // and no other key moves
}

TEST_CASE("the ring's max/mean key share matches a Monte Carlo expectation and falls with virtual nodes") {
  const int n = 10;
  RandomStream rng(7, "monte-carlo");
  double previous_expected = 1e9;
  for (int v : {1, 10, 100, 1000}) {
    INFO("virtual nodes " << v);
    // Monte Carlo: rings of n * v uniformly random points.
    std::vector<double> samples;
    for (int trial = 0; trial < 400; ++trial) {
      std::vector<std::pair<double, int>> points;
      for (int b = 0; b < n; ++b)
        for (int i = 0; i < v; ++i) points.emplace_back(rng.uniform01(), b);
      std::sort(points.begin(), points.end());
      std::vector<double> share(n, 0.0);
      for (std::size_t i = 0; i < points.size(); ++i) {
        const double from = i == 0 ? points.back().first - 1.0 : points[i - 1].first;
        share[static_cast<std::size_t>(points[i].second)] += points[i].first - from;
      }
      samples.push_back(*std::max_element(share.begin(), share.end()) * n);
    }
    std::sort(samples.begin(), samples.end());
    const double expected = std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size();
    const double low = samples[2], high = samples[samples.size() - 3];  // ~0.5% and 99.5%

    const auto shares = HashRing(n, v).shares();
    CHECK(std::accumulate(shares.begin(), shares.end(), 0.0) == Approx(1.0));
    const double ours = *std::max_element(shares.begin(), shares.end()) * n;
    CHECK(ours >= low);
    CHECK(ours <= high);
    CHECK(expected < previous_expected);
    previous_expected = expected;
  }
  CHECK(previous_expected < 1.15);  // 1000 virtual nodes: the busiest backend owns < 15% above average
}

TEST_CASE("health tracking: thresholds of consecutive results flip a replica's flag") {
  HealthTracker t(2, 3, 2);
  CHECK(t.healthy(0));
  CHECK_FALSE(t.record(0, false));
  CHECK_FALSE(t.record(0, false));
  CHECK_FALSE(t.record(0, true));  // a success resets the count
  CHECK_FALSE(t.record(0, false));
  CHECK_FALSE(t.record(0, false));
  CHECK(t.record(0, false));  // third failure in a row
  CHECK_FALSE(t.healthy(0));
  CHECK(t.healthy(1));
  CHECK_FALSE(t.record(0, true));
  CHECK(t.record(0, true));  // second success in a row
  CHECK(t.healthy(0));
  CHECK_FALSE(t.record(0, true));  // already healthy: nothing changes
}

TEST_CASE("health tracking: forcing a flag (a replica out of service) and the change counter") {
  HealthTracker t(3, 2, 2);
  const auto v0 = t.version();
  t.force(2, false);
  CHECK_FALSE(t.healthy(2));
  CHECK(t.version() > v0);
  const auto v1 = t.version();
  t.force(2, false);  // no change: same version
  CHECK(t.version() == v1);
  // Back in service, it needs healthy_threshold good probes before traffic.
  CHECK_FALSE(t.record(2, true));
  CHECK(t.record(2, true));
  CHECK(t.healthy(2));
  CHECK(t.version() > v1);
}

TEST_CASE("the ring's owners of a key are distinct and start with its owner") {
  const HashRing ring(5, 50);
  std::vector<int> owners;
  for (std::uint64_t key = 0; key < 200; ++key) {
    const std::uint64_t hash = mix_hash(key);
    ring.owners(hash, 3, [](int) { return true; }, owners);
    REQUIRE(owners.size() == 3);
    CHECK(owners[0] == ring.owner(hash, [](int) { return true; }));
    CHECK(owners[0] != owners[1]);
    CHECK(owners[1] != owners[2]);
    CHECK(owners[0] != owners[2]);
    // Without the first owner, the key goes to its second copy's node.
    const int first = owners[0];
    CHECK(ring.owner(hash, [first](int b) { return b != first; }) == owners[1]);
  }
  ring.owners(mix_hash(1), 9, [](int b) { return b < 2; }, owners);
  CHECK(owners.size() == 2);  // only two backends accepted
}

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "components/key_space.hpp"
#include "core/rng.hpp"
#include "kinds/cache/cache_store.hpp"

using namespace archsim;
using namespace archsim::kinds::cache;

namespace {

constexpr double kNever = std::numeric_limits<double>::infinity();

// A store holding `items` values of 100 bytes (no overhead).
CacheStore store_of(Eviction eviction, int items, bool keep_counts = false) {
  CacheStore::Config config;
  config.capacity_bytes = 100.0 * items;
  config.eviction = eviction;
  config.keep_counts = keep_counts;
  return CacheStore(config);
}

void put(CacheStore& store, std::uint64_t key, RandomStream& rng, double now = 0, double expires = kNever) {
  store.set(key, 100, {1, 0}, expires, now, rng);
}

bool hit(CacheStore& store, std::uint64_t key, double now = 0) {
  return store.get(key, now).lookup == CacheStore::Lookup::Hit;
}

// ---- the theory the measured hit ratios are held to (independent requests, Zipf) ----

std::vector<double> zipf_probabilities(int n, double s) {
  std::vector<double> p(static_cast<std::size_t>(n));
  double total = 0;
  for (int k = 0; k < n; ++k) total += p[static_cast<std::size_t>(k)] = 1.0 / std::pow(k + 1.0, s);
  for (double& x : p) x /= total;
  return p;
}

// The characteristic time T with sum_i occupancy(p_i, T) = capacity (bisection).
double characteristic_time(const std::vector<double>& p, double capacity,
                           const std::function<double(double, double)>& occupancy) {
  double lo = 0, hi = 1e12;
  for (int i = 0; i < 300; ++i) {
    const double mid = (lo + hi) / 2;
    double filled = 0;
    for (double q : p) filled += occupancy(q, mid);
    (filled < capacity ? lo : hi) = mid;
  }
  return lo;
}

// Che's approximation for LRU: key i is cached if requested within the last T requests.
double che_lru(const std::vector<double>& p, double capacity) {
  auto in_cache = [](double q, double t) { return 1 - std::exp(-q * t); };
  const double t = characteristic_time(p, capacity, in_cache);
  double h = 0;
  for (double q : p) h += q * in_cache(q, t);
  return h;
}

// Its FIFO / random counterpart (Gelenbe; Dan and Towsley): key i is cached with
// probability q T / (1 + q T).
double che_fifo(const std::vector<double>& p, double capacity) {
  auto in_cache = [](double q, double t) { return q * t / (1 + q * t); };
  const double t = characteristic_time(p, capacity, in_cache);
  double h = 0;
  for (double q : p) h += q * in_cache(q, t);
  return h;
}

// LFU with counts for every key converges to the most popular keys.
double top_k_mass(std::vector<double> p, int k) {
  std::sort(p.begin(), p.end(), std::greater<>());
  double h = 0;
  for (int i = 0; i < k; ++i) h += p[static_cast<std::size_t>(i)];
  return h;
}

// The hit ratio of a store of `capacity` values under independent Zipf requests: warm-up
// requests first, then `requests` counted ones. Every miss sets the key.
double measured_hit_ratio(Eviction eviction, bool keep_counts, int keys, double s, int capacity, int requests) {
  CacheStore store = store_of(eviction, capacity, keep_counts);
  KeySpace space(static_cast<std::uint64_t>(keys), s);
  RandomStream rng(7, "requests");
  RandomStream evict(7, "eviction");
  std::uint64_t hits = 0;
  for (int i = 0; i < requests + requests / 5; ++i) {
    const std::uint64_t key = space.sample(rng);
    if (hit(store, key)) {
      hits += i >= requests / 5;
    } else {
      put(store, key, evict);
    }
  }
  return static_cast<double>(hits) / requests;
}

constexpr int kKeys = 1000;
constexpr double kZipf = 0.8;
constexpr int kCapacity = 100;
constexpr int kRequests = 1000000;
// Che's approximations are within a few thousandths at this size; the policies' theories
// are at least 0.04 apart, so a store that followed another policy fails.
constexpr double kTolerance = 0.01;

}  // namespace

TEST_CASE("cache store: lru evicts the least recently used key") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::Lru, 3);
  put(store, 1, rng);
  put(store, 2, rng);
  put(store, 3, rng);
  CHECK(hit(store, 1));  // 2 is now the least recently used
  put(store, 4, rng);
  CHECK_FALSE(store.contains(2));
  CHECK(store.contains(1));
  CHECK(store.contains(3));
  CHECK(store.evictions() == 1);
  CHECK(store.items() == 3);
  CHECK(store.used_bytes() == Approx(300));
}

TEST_CASE("cache store: fifo evicts the oldest insertion whatever its use") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::Fifo, 3);
  put(store, 1, rng);
  put(store, 2, rng);
  put(store, 3, rng);
  CHECK(hit(store, 1));
  put(store, 4, rng);
  CHECK_FALSE(store.contains(1));
  CHECK(store.contains(2));
}

TEST_CASE("cache store: lfu evicts the least used key and the oldest of equals") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::Lfu, 3);
  put(store, 1, rng);
  put(store, 2, rng);
  put(store, 3, rng);
  CHECK(hit(store, 1));
  CHECK(hit(store, 1));
  CHECK(hit(store, 3));
  put(store, 4, rng);  // 2 was used least
  CHECK_FALSE(store.contains(2));
  put(store, 5, rng);  // 4 has one use, 3 two and 1 three
  CHECK_FALSE(store.contains(4));
  CHECK(store.contains(1));
  CHECK(store.contains(3));
}

TEST_CASE("cache store: lfu with counts for every key admits only keys used more than the least used") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::Lfu, 2, true);
  for (std::uint64_t key : {1, 1, 1, 2, 2}) {
    if (!hit(store, key)) put(store, key, rng);
  }
  CHECK(store.contains(1));
  CHECK(store.contains(2));
  CHECK_FALSE(hit(store, 3));  // used once: fewer uses than either cached key
  CHECK(store.set(3, 100, {}, kNever, 0, rng) == CacheStore::Stored::NotAdmitted);
  for (int i = 0; i < 3; ++i) store.get(3, 0);  // 3 now has 4 uses, more than 2's
  CHECK(store.set(3, 100, {}, kNever, 0, rng) == CacheStore::Stored::Stored);
  CHECK_FALSE(store.contains(2));
}

TEST_CASE("cache store: random eviction takes a cached key and keeps its index consistent") {
  RandomStream rng(3, "t");
  CacheStore store = store_of(Eviction::Random, 10);
  for (std::uint64_t k = 0; k < 1000; ++k) {
    put(store, k, rng);
    if (k % 7 == 0) store.erase(k / 2);
  }
  CHECK(store.items() <= 10);
  CHECK(store.used_bytes() == Approx(100.0 * static_cast<double>(store.items())));
  int cached = 0;
  for (std::uint64_t k = 0; k < 1000; ++k) cached += store.contains(k);
  CHECK(cached == static_cast<int>(store.items()));
}

TEST_CASE("cache store: noeviction refuses writes when full and reclaims expired values") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::None, 2);
  put(store, 1, rng, 0, 10);
  put(store, 2, rng, 0, kNever);
  CHECK(store.set(3, 100, {}, kNever, 5, rng) == CacheStore::Stored::Refused);
  CHECK(store.evictions() == 0);
  CHECK(store.set(3, 100, {}, kNever, 11, rng) == CacheStore::Stored::Stored);  // 1 expired at 10
  CHECK(store.expirations() == 1);
  CHECK_FALSE(store.contains(1));
}

TEST_CASE("cache store: values expire at their time and a get then misses") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::Lru, 10);
  store.set(1, 100, {4, 2}, 10.0, 0, rng);
  const auto found = store.get(1, 9.99);
  CHECK(found.lookup == CacheStore::Lookup::Hit);
  CHECK(found.value.version == 4);
  CHECK(found.value.source == 2);
  CHECK(store.get(1, 10.0).lookup == CacheStore::Lookup::Expired);
  CHECK(store.expirations() == 1);
  CHECK(store.items() == 0);
  CHECK(store.used_bytes() == 0);
}

TEST_CASE("cache store: sizes count the overhead and a value larger than the node is refused") {
  RandomStream rng(1, "t");
  CacheStore::Config config;
  config.capacity_bytes = 1000;
  config.item_overhead_bytes = 50;
  CacheStore store(config);
  CHECK(store.set(1, 400, {}, kNever, 0, rng) == CacheStore::Stored::Stored);
  CHECK(store.used_bytes() == Approx(450));
  CHECK(store.set(1, 200, {}, kNever, 0, rng) == CacheStore::Stored::Stored);  // replaced
  CHECK(store.used_bytes() == Approx(250));
  CHECK(store.items() == 1);
  CHECK(store.set(2, 951, {}, kNever, 0, rng) == CacheStore::Stored::TooLarge);
  store.clear();
  CHECK(store.items() == 0);
  CHECK(store.used_bytes() == 0);
}

TEST_CASE("cache store: lru hit ratio under independent Zipf requests follows Che's approximation") {
  const auto p = zipf_probabilities(kKeys, kZipf);
  const double theory = che_lru(p, kCapacity);
  const double measured = measured_hit_ratio(Eviction::Lru, false, kKeys, kZipf, kCapacity, kRequests);
  INFO("measured " << measured << " Che " << theory);
  CHECK(std::abs(measured - theory) < kTolerance);
  CHECK(std::abs(measured - che_fifo(p, kCapacity)) > 3 * kTolerance);
}

TEST_CASE("cache store: fifo and random hit ratios follow their characteristic-time approximation") {
  const auto p = zipf_probabilities(kKeys, kZipf);
  const double theory = che_fifo(p, kCapacity);
  for (Eviction eviction : {Eviction::Fifo, Eviction::Random}) {
    const double measured = measured_hit_ratio(eviction, false, kKeys, kZipf, kCapacity, kRequests);
    INFO(to_string(eviction) << " measured " << measured << " theory " << theory);
    CHECK(std::abs(measured - theory) < kTolerance);
    CHECK(std::abs(measured - che_lru(p, kCapacity)) > 3 * kTolerance);
  }
}

TEST_CASE("cache store: lfu with counts for every key converges to the top-k popularity mass") {
  const auto p = zipf_probabilities(kKeys, kZipf);
  const double theory = top_k_mass(p, kCapacity);
  const double measured = measured_hit_ratio(Eviction::Lfu, true, kKeys, kZipf, kCapacity, kRequests);
  INFO("measured " << measured << " top-k " << theory);
  CHECK(std::abs(measured - theory) < kTolerance);
  CHECK(std::abs(measured - che_lru(p, kCapacity)) > 3 * kTolerance);
}

TEST_CASE("cache store: a TTL cache's per-key hit ratio for Poisson requests is lambda T over 1 + lambda T") {
  // Infinite room, a value set on each miss lives T; requests to key i arrive as a Poisson
  // process of rate Lambda p_i, so each key alternates T of hits and an exponential wait.
  const double rate = 1000, ttl = 0.05;
  const auto p = zipf_probabilities(kKeys, kZipf);
  CacheStore store = store_of(Eviction::Lru, kKeys);
  KeySpace space(kKeys, kZipf);
  RandomStream rng(11, "requests");
  std::vector<std::uint64_t> gets(kKeys), hits(kKeys);
  double t = 0;
  for (int i = 0; i < 2000000; ++i) {
    t += rng.exponential(1.0 / rate);
    const std::uint64_t key = space.sample(rng);
    const bool h = hit(store, key, t);
    if (!h) put(store, key, rng, t, t + ttl);
    if (t < 10) continue;
    ++gets[key];
    hits[key] += h;
  }
  double overall_theory = 0, overall_hits = 0, overall_gets = 0, reset_theory = 0;
  for (int k = 0; k < kKeys; ++k) {
    const double lt = rate * p[static_cast<std::size_t>(k)] * ttl;
    overall_theory += p[static_cast<std::size_t>(k)] * lt / (1 + lt);
    reset_theory += p[static_cast<std::size_t>(k)] * (1 - std::exp(-lt));
    overall_hits += static_cast<double>(hits[static_cast<std::size_t>(k)]);
    overall_gets += static_cast<double>(gets[static_cast<std::size_t>(k)]);
  }
  for (int k : {0, 1, 4, 20}) {
    const double lt = rate * p[static_cast<std::size_t>(k)] * ttl;
    const double measured = static_cast<double>(hits[static_cast<std::size_t>(k)]) /
                            static_cast<double>(gets[static_cast<std::size_t>(k)]);
    INFO("key " << k << " measured " << measured << " theory " << lt / (1 + lt));
    CHECK(std::abs(measured - lt / (1 + lt)) < 0.01);
  }
  CHECK(std::abs(overall_hits / overall_gets - overall_theory) < 0.005);
  // A TTL renewed by every hit would give 1 - exp(-lambda T) per key instead.
  CHECK(std::abs(overall_hits / overall_gets - reset_theory) > 0.02);
}

TEST_CASE("cache store: in its grace period an expired value goes to one refresher and is served stale to others") {
  RandomStream rng(1, "t");
  CacheStore::Config config;
  config.capacity_bytes = 1000;
  config.grace_s = 5;
  CacheStore store(config);
  store.set(1, 100, {3, 0}, 10.0, 0, rng);
  CHECK(store.get(1, 10.5).lookup == CacheStore::Lookup::Expired);  // the first caller refreshes it
  const auto stale = store.get(1, 11);
  CHECK(stale.lookup == CacheStore::Lookup::Stale);
  CHECK(stale.value.version == 3);
  store.set(1, 100, {4, 0}, 20.0, 11.2, rng);  // the refresh lands
  CHECK(store.get(1, 11.3).lookup == CacheStore::Lookup::Hit);
  CHECK(store.get(1, 20.5).lookup == CacheStore::Lookup::Expired);  // a refresher again
  CHECK(store.get(1, 21).lookup == CacheStore::Lookup::Stale);
  CHECK(store.get(1, 25.0).lookup == CacheStore::Lookup::Expired);  // no refresh by the grace's end: gone
  CHECK_FALSE(store.contains(1));
}

TEST_CASE("cache store: lfu with counts for every key decides admission before it evicts anything") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::Lfu, 3, true);
  store.get(1, 0);
  put(store, 1, rng);  // one use
  for (int i = 0; i < 5; ++i) store.get(2, 0);
  put(store, 2, rng);  // five uses
  for (int i = 0; i < 3; ++i) store.get(3, 0);
  // 250 bytes need both cached keys gone, but key 2 is used more than key 3: refused, and
  // key 1 is still there.
  CHECK(store.set(3, 250, {}, kNever, 0, rng) == CacheStore::Stored::NotAdmitted);
  CHECK(store.contains(1));
  CHECK(store.contains(2));
  CHECK(store.evictions() == 0);
  CHECK(store.used_bytes() == Approx(200));
}

TEST_CASE("cache store: a refused replacement keeps the old value and a value too large removes it") {
  RandomStream rng(1, "t");
  CacheStore store = store_of(Eviction::None, 2);
  store.set(7, 100, {4, 0}, kNever, 0, rng);
  put(store, 8, rng);
  CHECK(store.set(7, 150, {5, 0}, kNever, 0, rng) == CacheStore::Stored::Refused);  // no room for 150
  REQUIRE(store.contains(7));
  CHECK(store.get(7, 0).value.version == 4);
  CHECK(store.used_bytes() == Approx(200));
  CHECK(store.set(7, 5000, {6, 0}, kNever, 0, rng) == CacheStore::Stored::TooLarge);
  CHECK_FALSE(store.contains(7));  // the old version is not the key's any more
  CHECK(store.used_bytes() == Approx(100));
}

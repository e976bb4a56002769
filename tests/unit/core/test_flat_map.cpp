#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "core/flat_map.hpp"

using archsim::FlatMap;

namespace {
// Checks that `map` holds exactly what `model` holds, through find, contains and for_each.
void require_same(FlatMap<std::uint64_t, int>& map, const std::map<std::uint64_t, int>& model,
                  const std::vector<std::uint64_t>& probes) {
  REQUIRE(map.size() == model.size());
  REQUIRE(map.empty() == model.empty());
  std::map<std::uint64_t, int> seen;
  map.for_each([&seen](std::uint64_t key, int value) {
    REQUIRE(seen.count(key) == 0);
    seen[key] = value;
  });
  REQUIRE(seen == model);
  for (std::uint64_t key : probes) {
    const auto it = model.find(key);
    const int* found = map.find(key);
    INFO("key " << key);
    if (it == model.end()) {
      REQUIRE(found == nullptr);
      REQUIRE_FALSE(map.contains(key));
    } else {
      REQUIRE(found != nullptr);
      REQUIRE(*found == it->second);
    }
  }
}

// Random inserts, overwrites and erases over keys drawn by `draw`, checked against std::map
// after every change.
template <typename Draw>
void against_model(std::uint64_t seed, int steps, Draw draw) {
  FlatMap<std::uint64_t, int> map;
  std::map<std::uint64_t, int> model;
  std::mt19937_64 rng(seed);
  std::vector<std::uint64_t> probes;
  for (int step = 0; step < steps; ++step) {
    const std::uint64_t key = draw(rng);
    probes.push_back(key);
    if (probes.size() > 64) probes.erase(probes.begin());
    switch (rng() % 4) {
      case 0:
      case 1: {
        const auto [value, added] = map.try_emplace(key, step);
        REQUIRE(added == (model.count(key) == 0));
        if (added) model[key] = step;
        REQUIRE(*value == model[key]);
        break;
      }
      case 2:
        map[key] = -step;
        model[key] = -step;
        break;
      default:
        if (step % 2) {
          REQUIRE(map.erase(key) == (model.erase(key) == 1));
        } else {  // taken out with its value
          const auto it = model.find(key);
          const std::optional<int> taken = map.take(key);
          REQUIRE(taken.has_value() == (it != model.end()));
          if (it != model.end()) {
            REQUIRE(*taken == it->second);
            model.erase(it);
          }
        }
        break;
    }
    require_same(map, model, probes);
  }
  // Emptied one key at a time, in an order unrelated to the slots.
  std::vector<std::uint64_t> keys;
  for (const auto& [key, value] : model) keys.push_back(key);
  std::shuffle(keys.begin(), keys.end(), rng);
  for (std::uint64_t key : keys) {
    REQUIRE(map.erase(key));
    model.erase(key);
    require_same(map, model, keys);
  }
  REQUIRE(map.empty());
}
}  // namespace

TEST_CASE("flat map: agrees with std::map through inserts, overwrites and erases") {
  SECTION("consecutive ids, as requests are numbered") {
    std::uint64_t next = 1;
    against_model(1, 3000, [&next](std::mt19937_64& rng) { return rng() % 3 == 0 ? next++ : 1 + rng() % next; });
  }
  SECTION("few keys, so that runs of collisions form, wrap around the array and are shifted back") {
    against_model(2, 3000, [](std::mt19937_64& rng) { return rng() % 40; });
  }
  SECTION("aligned addresses") {
    against_model(3, 3000, [](std::mt19937_64& rng) { return 0x7f0000000000ull + 64 * (rng() % 500); });
  }
  SECTION("any 64-bit key but the reserved one") {
    against_model(4, 2000, [](std::mt19937_64& rng) {
      const std::uint64_t key = rng() % 2 ? rng() : rng() % 100;
      return key == ~std::uint64_t{0} ? 0 : key;
    });
  }
}

TEST_CASE("flat map: keeps every entry reachable at any load, and grows") {
  FlatMap<std::uint64_t, std::uint64_t> map;
  for (std::uint64_t k = 0; k < 100000; ++k) REQUIRE(map.try_emplace(k * 7919, k).second);
  REQUIRE(map.size() == 100000);
  for (std::uint64_t k = 0; k < 100000; ++k) REQUIRE(*map.find(k * 7919) == k);
  for (std::uint64_t k = 0; k < 100000; k += 2) REQUIRE(map.erase(k * 7919));
  for (std::uint64_t k = 0; k < 100000; ++k) REQUIRE((map.find(k * 7919) != nullptr) == (k % 2 == 1));
  REQUIRE_FALSE(map.erase(2 * 7919));
}

TEST_CASE("flat map: pointer keys, the reserved key, and values let go of on erase and clear") {
  FlatMap<const void*, std::shared_ptr<int>> map;
  REQUIRE(map.find(&map) == nullptr);
  REQUIRE_FALSE(map.erase(&map));
  auto a = std::make_shared<int>(1);
  auto b = std::make_shared<int>(2);
  int x = 0;
  int y = 0;
  map[&x] = a;
  map[&y] = b;
  REQUIRE(a.use_count() == 2);
  REQUIRE(**map.find(&y) == 2);
  REQUIRE(map.erase(&x));
  REQUIRE(a.use_count() == 1);  // the slot no longer holds it
  map.clear();
  REQUIRE(b.use_count() == 1);
  REQUIRE(map.empty());
  REQUIRE(map.find(&y) == nullptr);
  map[&y] = a;  // usable after clear
  REQUIRE(map.size() == 1);

  FlatMap<std::uint64_t, int> ids;
  REQUIRE_THROWS_AS(ids.try_emplace(~std::uint64_t{0}, 1), std::invalid_argument);
  REQUIRE(ids.empty());
}

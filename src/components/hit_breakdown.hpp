#pragma once
// The lookups of a cache-like service (a cache's gets, a CDN's requests) and their hits, by
// client operation and by the popularity decile of the key in its client's key space (the
// most popular tenth of the keys first): where the hits come from.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"

namespace archsim {

class HitBreakdown {
 public:
  explicit HitBreakdown(const Scenario& scenario);
  // A lookup of `key` for global operation `op` (-1: none).
  void count(int op, std::uint64_t key, bool hit);
  // {OP: {LOOKUPS: n, hit_ratio: h}} for the operations with lookups, LOOKUPS naming them.
  nlohmann::ordered_json by_operation(const char* lookups) const;
  // Ten hit ratios (null where no lookup fell). Keys of replayed logs have no rank.
  nlohmann::ordered_json by_decile() const;

 private:
  struct Counts {
    std::uint64_t lookups = 0;
    std::uint64_t hits = 0;
  };
  const Scenario& scenario_;
  std::vector<int> client_of_operation_;  // by global operation index
  std::vector<std::string> operation_names_;
  std::vector<Counts> operations_;
  std::array<Counts, 10> deciles_{};
};

}  // namespace archsim

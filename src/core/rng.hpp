#pragma once
// Seeded random streams. Every component draws from its own stream, derived from the
// scenario seed and the component's name, so adding a component never reshuffles the
// numbers another component sees. Only the engine (std::mt19937_64, whose output is fixed
// by the standard) comes from the library; the transformations to uniform, exponential
// and normal variates are ours, so results are identical across standard libraries.
#include <cstdint>
#include <cmath>
#include <random>
#include <string_view>

namespace archsim {

// FNV-1a, 64 bits: a stable hash of a name (std::hash is not stable across platforms).
std::uint64_t stable_hash(std::string_view text);

class RandomStream {
 public:
  RandomStream() : RandomStream(0, "") {}
  RandomStream(std::uint64_t seed, std::string_view name);

  std::uint64_t next_u64() { return engine_(); }
  // Uniform on the open interval (0, 1): never returns 0 or 1.
  double uniform01() { return (static_cast<double>(engine_() >> 11) + 0.5) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias.
  std::uint64_t below(std::uint64_t n);
  double exponential(double mean) { return -mean * std::log1p(-uniform01()); }
  double standard_normal();
  bool bernoulli(double p) { return p >= 1.0 || (p > 0.0 && uniform01() < p); }

 private:
  std::mt19937_64 engine_;
  double spare_normal_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace archsim

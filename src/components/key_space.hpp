#pragma once
// The keys requests are about (items, users...): `count` keys numbered 0..count-1 drawn
// uniformly or with Zipf popularity (key k has probability proportional to 1/(k+1)^s).
// Zipf sampling uses rejection-inversion (Hoermann & Derflinger), O(1) memory and time
// whatever the number of keys.
#include <cstdint>

#include "core/rng.hpp"

namespace archsim {

class KeySpace {
 public:
  // zipf_s <= 0 means uniform.
  KeySpace(std::uint64_t count, double zipf_s);
  std::uint64_t sample(RandomStream& rng) const;

 private:
  double h(double x) const;
  double h_inverse(double x) const;

  std::uint64_t count_;
  double s_;
  double h_x1_ = 0, h_n_ = 0, threshold_ = 0;
};

}  // namespace archsim

#include "study/capacity_search.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <utility>

namespace archsim {

CapacitySearch::CapacitySearch(const Settings& settings) : s_(settings) {}

double CapacitySearch::snap(double v) const {
  v = std::clamp(v, s_.floor, s_.ceiling);
  return s_.integer ? std::max(1.0, std::round(v)) : v;
}

std::optional<double> CapacitySearch::step(std::optional<double> good, std::optional<double> bad) const {
  // Maximising, the search goes up ("further") while the objective holds and down while
  // it does not; minimising, the other way round.
  const double far_limit = s_.maximize ? s_.ceiling : s_.floor;
  const double near_limit = s_.maximize ? s_.floor : s_.ceiling;
  const auto further = [&](double v) { return snap(s_.maximize ? v * 2 : v / 2); };
  const auto back = [&](double v) { return snap(s_.maximize ? v / 2 : v * 2); };
  if (!good && !bad) return snap(s_.start);
  if (good && !bad) {
    const double next = further(*good);
    if (*good == far_limit || next == *good) return std::nullopt;  // held up to the limit
    return next;
  }
  if (bad && !good) {
    const double next = back(*bad);
    if (*bad == near_limit || next == *bad) return std::nullopt;  // never met down to the limit
    return next;
  }
  const double lo = std::min(*good, *bad), hi = std::max(*good, *bad);
  if (s_.integer ? hi - lo <= 1 : hi - lo <= s_.precision * lo) return std::nullopt;
  double mid = s_.integer ? std::floor((lo + hi) / 2) : (lo + hi) / 2;
  if (!(mid > lo && mid < hi)) return std::nullopt;
  return mid;
}

std::optional<double> CapacitySearch::next() const { return step(good_, bad_); }

std::vector<double> CapacitySearch::lookahead(int count) const {
  // Breadth first over the unknown results: each state is (good, bad), its child the state
  // after the value it asks for meets the objective, or not (known results are followed).
  std::vector<double> out;
  std::deque<std::pair<std::optional<double>, std::optional<double>>> states{{good_, bad_}};
  while (!states.empty() && static_cast<int>(out.size()) < count) {
    auto [good, bad] = states.front();
    states.pop_front();
    const auto value = step(good, bad);
    if (!value) continue;
    const auto known = known_.find(*value);
    if (known == known_.end()) {
      if (std::find(out.begin(), out.end(), *value) == out.end()) out.push_back(*value);
      states.push_back({*value, bad});
      states.push_back({good, *value});
    } else if (known->second) {
      states.push_front({*value, bad});
    } else {
      states.push_front({good, *value});
    }
  }
  return out;
}

void CapacitySearch::record(double value, bool meets) { known_[value] = meets; }

std::vector<double> CapacitySearch::advance() {
  std::vector<double> used;
  while (const auto value = next()) {
    const auto known = known_.find(*value);
    if (known == known_.end()) break;
    (known->second ? good_ : bad_) = *value;
    used.push_back(*value);
  }
  return used;
}

CapacitySearch::Result CapacitySearch::result() const {
  if (next()) return Result::Searching;
  if (good_ && bad_) return Result::Found;
  return good_ ? Result::HeldThroughout : Result::NeverMet;
}

}  // namespace archsim

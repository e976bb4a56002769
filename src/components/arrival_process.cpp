#include "components/arrival_process.hpp"

#include <algorithm>
#include <cmath>

namespace archsim {

namespace {
constexpr double kInfinity = std::numeric_limits<double>::infinity();
}

ArrivalProcess::ArrivalProcess(double initial_rate, std::vector<RatePoint> schedule, bool linear) : linear_(linear) {
  points_.push_back({0.0, initial_rate});
  for (const auto& p : schedule) {
    if (p.at_s <= 0.0)
      points_.front().rate_rps = p.rate_rps;  // a point at time 0 replaces the initial rate
    else
      points_.push_back(p);
  }
}

std::size_t ArrivalProcess::segment_of(double t) const {
  auto it = std::upper_bound(points_.begin(), points_.end(), t,
                             [](double value, const RatePoint& p) { return value < p.at_s; });
  return static_cast<std::size_t>(std::distance(points_.begin(), it)) - 1;
}

double ArrivalProcess::segment_start(std::size_t i) const { return points_[i].at_s; }

double ArrivalProcess::segment_end(std::size_t i) const {
  return i + 1 < points_.size() ? points_[i + 1].at_s : kInfinity;
}

double ArrivalProcess::rate_at(double t) const {
  const std::size_t i = segment_of(t);
  if (!linear_ || i + 1 >= points_.size()) return points_[i].rate_rps;
  const double f = (t - points_[i].at_s) / (points_[i + 1].at_s - points_[i].at_s);
  return points_[i].rate_rps + f * (points_[i + 1].rate_rps - points_[i].rate_rps);
}

double ArrivalProcess::segment_max_rate(std::size_t i) const {
  if (!linear_ || i + 1 >= points_.size()) return points_[i].rate_rps;
  return std::max(points_[i].rate_rps, points_[i + 1].rate_rps);
}

double ArrivalProcess::next(double now, RandomStream& rng) const {
  double t = now;
  std::size_t i = segment_of(t);
  while (true) {
    const double end = segment_end(i);
    const double bound = segment_max_rate(i);
    if (bound <= 0.0) {
      if (end == kInfinity) return kInfinity;
      t = end;
      ++i;
      continue;
    }
    const double candidate = t + rng.exponential(1.0 / bound);
    if (candidate >= end) {
      t = end;  // memoryless: start afresh at the boundary with the next segment's rate
      ++i;
      continue;
    }
    t = candidate;
    if (!linear_ || rng.uniform01() * bound <= rate_at(t)) return t;
  }
}

double ArrivalProcess::expected_count(double from, double to) const {
  double total = 0.0;
  double t = from;
  while (t < to) {
    const std::size_t i = segment_of(t);
    const double end = std::min(segment_end(i), to);
    total += (rate_at(t) + (linear_ ? rate_at(std::nextafter(end, t)) : rate_at(t))) / 2.0 * (end - t);
    t = end;
  }
  return total;
}

}  // namespace archsim

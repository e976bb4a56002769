#pragma once
// Arrival times of an open-loop client: a Poisson process whose rate follows a schedule,
// either piecewise constant (the rate jumps at each point) or piecewise linear (it ramps
// between points and stays at the last one). Piecewise-constant segments use the
// memoryless property (an inter-arrival drawn at one rate is discarded at the boundary and
// redrawn at the next rate); linear ramps use thinning (Lewis & Shedler) against the
// segment's largest rate. Both give an exact non-homogeneous Poisson process.
#include <limits>
#include <vector>

#include "core/rng.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class ArrivalProcess {
 public:
  ArrivalProcess(double initial_rate, std::vector<RatePoint> schedule, bool linear);

  // The first arrival strictly after `now`, or +infinity when the rate stays 0 for ever.
  double next(double now, RandomStream& rng) const;
  // The rate at time t.
  double rate_at(double t) const;
  // The expected number of arrivals in [from, to): the integral of the rate.
  double expected_count(double from, double to) const;

 private:
  // Index of the segment containing t: segment i covers [start(i), start(i+1)).
  std::size_t segment_of(double t) const;
  double segment_start(std::size_t i) const;
  double segment_end(std::size_t i) const;
  double segment_max_rate(std::size_t i) const;

  std::vector<RatePoint> points_;  // points_[0] is {0, initial rate}
  bool linear_;
};

}  // namespace archsim

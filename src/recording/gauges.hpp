#pragma once
// Named quantities any component can register, sampled at every window boundary into the
// rows of timeseries.csv (one column each, in registration order) and readable while the
// run goes on (an autoscaler or an alert rule reads them):
//  - a level is read as it is at the boundary (a queue's depth, replicas up);
//  - a ratio is the growth of one cumulative quantity over the growth of another during the
//    window (a utilisation: work done over capacity offered; a hit ratio: hits over
//    lookups), 0 when the second did not grow;
//  - a counter is the growth of a cumulative count during the window.
// Ratios and counters are also kept over the measured period (from the end of the warm-up).
// Plain class: the readings are functions, the sampling is driven from outside.
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace archsim {

class Gauges {
 public:
  using Reading = std::function<double()>;
  enum class Kind { Level, Ratio, Counter };

  int level(std::string name, Reading value);
  // `clamp`: the ratio is a fraction (a utilisation cannot exceed 1).
  int ratio(std::string name, Reading numerator, Reading denominator, bool clamp = true);
  int counter(std::string name, Reading cumulative);

  std::size_t size() const { return gauges_.size(); }
  const std::string& name(int id) const { return gauges_[static_cast<std::size_t>(id)].name; }
  Kind kind(int id) const { return gauges_[static_cast<std::size_t>(id)].kind; }
  // The id of the gauge called `name`, or -1.
  int find(const std::string& name) const;

  // Sampling: start() once at the beginning, warmup_over() when the measured period
  // starts, sample() at the end of each window; returns the window's values by id.
  void start();
  void warmup_over();
  std::vector<float> sample();

  // While the run goes on: the value so far in the current window (a level: now).
  double current(int id) const;
  // Over the measured period so far (ratios and counters; a level: now).
  double measured(int id) const;

 private:
  struct Gauge {
    std::string name;
    Kind kind;
    Reading a;  // the level, the numerator or the count
    Reading b;  // the denominator
    bool clamp = false;
    double a_window = 0, b_window = 0;  // cumulative values at the last boundary
    double a_warmup = 0, b_warmup = 0;  // at the end of the warm-up
  };
  static double value_since(const Gauge& g, double a0, double b0);

  std::vector<Gauge> gauges_;
};

}  // namespace archsim

#pragma once
// The search of `archsim capacity`, as a plain class: the largest (or smallest) value of a
// parameter that meets an objective, between a floor and a ceiling. The sequential search
// doubles (or halves) from its start until the objective flips, then bisects the bracket to
// the precision wanted (integers: to adjacent values). It decides on its own results only,
// so the answer and the values it uses do not depend on how many runs go at once: to keep
// several cores busy, lookahead() lists values it may need next whatever the results it
// waits for, which can be run ahead; record() takes results in any order.
#include <map>
#include <optional>
#include <vector>

namespace archsim {

class CapacitySearch {
 public:
  struct Settings {
    bool maximize = true;  // false: the smallest value that meets the objective
    bool integer = false;  // values are whole numbers (at least 1)
    double start = 1;
    double floor = 0;    // the search stays within [floor, ceiling]
    double ceiling = 0;
    double precision = 0.01;  // relative width of the final bracket (non-integers)
  };
  enum class Result { Searching, Found, HeldThroughout, NeverMet };

  explicit CapacitySearch(const Settings& settings);

  // The value the sequential search needs next, or nullopt when it is done.
  std::optional<double> next() const;
  // Up to `count` values the search may need next (the next one first), breadth first over
  // the results still unknown.
  std::vector<double> lookahead(int count) const;
  // The objective is met (or not) at `value`; only values the search asks for are useful.
  void record(double value, bool meets);
  // Feeds the sequential search with the known results it needs, in order, as far as they
  // go; returns the values it used, in order.
  std::vector<double> advance();

  Result result() const;
  // The furthest value meeting the objective, and the nearest failing beyond it.
  std::optional<double> good() const { return good_; }
  std::optional<double> bad() const { return bad_; }
  const Settings& settings() const { return s_; }

 private:
  double snap(double v) const;
  bool beyond(double a, double b) const { return s_.maximize ? a > b : a < b; }
  // Given good/bad, the value to try next (nullopt: done).
  std::optional<double> step(std::optional<double> good, std::optional<double> bad) const;

  Settings s_;
  std::optional<double> good_, bad_;
  std::map<double, bool> known_;  // results recorded, whether used yet or not
};

}  // namespace archsim

#include <catch2/catch.hpp>

#include <functional>
#include <vector>

#include "study/capacity_search.hpp"

using archsim::CapacitySearch;

namespace {
// Runs the search against `meets`, evaluating up to `jobs` values at a time as the command
// does; returns the values the search used, in order.
std::vector<double> drive(CapacitySearch& search, const std::function<bool(double)>& meets, int jobs,
                          int* evaluations = nullptr) {
  std::vector<double> used;
  int count = 0;
  while (search.next()) {
    for (double v : search.lookahead(jobs)) {
      search.record(v, meets(v));
      ++count;
    }
    for (double v : search.advance()) used.push_back(v);
  }
  if (evaluations) *evaluations = count;
  return used;
}
}  // namespace

TEST_CASE("capacity search: the values used and the answer do not depend on the jobs") {
  CapacitySearch::Settings s;
  s.start = 100;
  s.floor = 1;
  s.ceiling = 10000;
  s.integer = true;
  const auto meets = [](double v) { return v <= 697; };
  std::vector<double> reference;
  for (int jobs : {1, 2, 3, 4, 8}) {
    CapacitySearch search(s);
    int evaluations = 0;
    const auto used = drive(search, meets, jobs, &evaluations);
    if (jobs == 1) {
      reference = used;
      CHECK(evaluations == static_cast<int>(used.size()));  // nothing run ahead
    }
    CHECK(used == reference);
    CHECK(search.result() == CapacitySearch::Result::Found);
    CHECK(*search.good() == 697);
    CHECK(*search.bad() == 698);
  }
  // Doubling from 100: 200, 400, 800 (fails), then bisection between 400 and 800.
  REQUIRE(reference.size() > 4);
  CHECK(std::vector<double>(reference.begin(), reference.begin() + 4) == std::vector<double>{100, 200, 400, 800});
}

TEST_CASE("capacity search: bounds, an objective that always holds or never does, minimising") {
  CapacitySearch::Settings s;
  s.start = 400;
  s.floor = 1;
  s.ceiling = 500;
  s.integer = true;
  CapacitySearch held(s);
  const auto used = drive(held, [](double) { return true; }, 1);
  CHECK(used == std::vector<double>{400, 500});  // the ceiling itself is tried, nothing beyond
  CHECK(held.result() == CapacitySearch::Result::HeldThroughout);
  CapacitySearch never(s);
  drive(never, [](double) { return false; }, 2);
  CHECK(never.result() == CapacitySearch::Result::NeverMet);
  CHECK(*never.bad() == 1);  // halved down to the floor

  // Minimising (replicas): the smallest that meets, from 8 down.
  CapacitySearch::Settings m;
  m.maximize = false;
  m.integer = true;
  m.start = 8;
  m.floor = 1;
  m.ceiling = 128;
  CapacitySearch fewest(m);
  drive(fewest, [](double v) { return v >= 3; }, 4);
  CHECK(fewest.result() == CapacitySearch::Result::Found);
  CHECK(*fewest.good() == 3);
  CHECK(*fewest.bad() == 2);

  // Real numbers: to the relative precision.
  CapacitySearch::Settings r;
  r.start = 1;
  r.floor = 1.0 / 1024;
  r.ceiling = 16;
  r.precision = 0.01;
  CapacitySearch rate(r);
  drive(rate, [](double v) { return v <= 3.3; }, 3);
  CHECK(*rate.good() <= 3.3);
  CHECK(*rate.bad() > 3.3);
  CHECK((*rate.bad() - *rate.good()) <= 0.01 * *rate.good());
}

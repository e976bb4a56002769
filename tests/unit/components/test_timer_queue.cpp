#include <catch2/catch.hpp>

#include <algorithm>
#include <functional>
#include <queue>
#include <random>
#include <vector>

#include "components/timer_queue.hpp"

using archsim::TimerQueue;

namespace {
struct T {
  double at;
  int id;
  bool operator>(const T& other) const { return at > other.at || (at == other.at && id > other.id); }
};
}  // namespace

TEST_CASE("timer queue: the order of one heap, deadlines in a FIFO lane") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  TimerQueue<T> q;
  std::priority_queue<T, std::vector<T>, std::greater<>> reference;
  double clock = 0;
  int id = 0;
  std::vector<int> got;
  std::vector<int> want;
  for (int step = 0; step < 20000; ++step) {
    const double r = u(rng);
    if (r < 0.45) {  // a deadline: now plus a fixed timeout (ties at equal times come in id order)
      const T t{clock + 2.0, ++id};
      q.push_in_order(t);
      reference.push(t);
    } else if (r < 0.65) {  // a backoff or a think time: anywhere ahead, sometimes at a deadline's time
      const T t{u(rng) < 0.1 ? clock + 2.0 : clock + 5 * u(rng), ++id};
      q.push(t);
      reference.push(t);
    } else if (!q.empty()) {  // fire the next one, and let time reach it
      REQUIRE(q.size() == reference.size());
      got.push_back(q.top().id);
      want.push_back(reference.top().id);
      clock = std::max(clock, q.top().at);
      q.pop();
      reference.pop();
    }
    if (u(rng) < 0.3) clock += 0.01 * u(rng);
  }
  while (!q.empty()) {
    got.push_back(q.top().id);
    want.push_back(reference.top().id);
    q.pop();
    reference.pop();
  }
  CHECK(reference.empty());
  CHECK(got == want);
  CHECK(got.size() > 5000);
}

TEST_CASE("timer queue: a timer pushed out of order still fires in order") {
  TimerQueue<T> q;
  q.push_in_order({5, 1});
  q.push_in_order({3, 2});  // earlier than the lane's last: goes to the heap
  q.push_in_order({5, 3});
  q.push({4, 4});
  std::vector<int> order;
  while (!q.empty()) {
    order.push_back(q.top().id);
    q.pop();
  }
  CHECK(order == std::vector<int>{2, 4, 1, 3});
}

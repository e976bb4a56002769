#pragma once
// Timers in the order they fire: the least first by `T`'s operator> (a strict order, ties
// broken inside T). Most timers of a client population are the deadlines of its requests,
// which share one timeout and so are set in the order they fire: those go to a FIFO lane
// (push_in_order), where setting and firing one costs O(1) and touches memory in sequence.
// The others (backoffs, think times) go to a binary heap. A population at 100,000
// requests/s with a 2 s timeout holds 200,000 deadlines: in a heap, each one fired would
// sift through 18 levels of a 5 MB array.
//
// The order timers come out in is the same as one heap of all of them would give.
#include <deque>
#include <functional>
#include <queue>
#include <vector>

namespace archsim {

template <class T>
class TimerQueue {
 public:
  // Any timer.
  void push(const T& timer) { heap_.push(timer); }
  // A timer that fires no earlier than every timer pushed in order before it (checked: one
  // out of order goes to the heap).
  void push_in_order(const T& timer) {
    if (!lane_.empty() && lane_.back() > timer)
      heap_.push(timer);
    else
      lane_.push_back(timer);
  }
  bool empty() const { return heap_.empty() && lane_.empty(); }
  std::size_t size() const { return heap_.size() + lane_.size(); }
  // The next timer to fire (not empty()).
  const T& top() const { return from_lane() ? lane_.front() : heap_.top(); }
  void pop() {
    if (from_lane())
      lane_.pop_front();
    else
      heap_.pop();
  }

 private:
  bool from_lane() const { return heap_.empty() || (!lane_.empty() && heap_.top() > lane_.front()); }

  std::priority_queue<T, std::vector<T>, std::greater<>> heap_;
  std::deque<T> lane_;
};

}  // namespace archsim

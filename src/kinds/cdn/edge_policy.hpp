#pragma once
// What a CDN edge decides per request, as plain classes (unit-tested without an engine):
// how often each object was asked for lately (RequestCounter), and, from that count, the
// cost policies' verdict (EdgePolicy): serve from the origin without storing (bypass),
// store after a miss or not (admission), store compressed or whole.
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/distribution.hpp"
#include "kinds/cdn/cdn_kind.hpp"

namespace archsim::kinds::cdn {

// Requests per object within a sliding window, counted up to `cap` (enough to decide any
// rule up to that many requests). Memory: up to `cap` times per object asked for within
// the window; objects whose last request left it are swept out (a sweep after twice as
// many requests as the last sweep kept objects: amortised O(1) per request, and never more
// than about three times the objects of one window, plus 1,024).
class RequestCounter {
 public:
  RequestCounter(double window_s, int cap);
  // Counts a request for `key` at `now`; returns the requests for it within the window,
  // this one included, at most `cap`.
  int record(std::uint64_t key, double now);
  // Requests for `key` within the window before `now` (not counting a new one).
  int count(std::uint64_t key, double now);
  std::size_t tracked() const { return times_.size(); }

 private:
  // An object's latest request times, oldest first (at most cap_).
  using Times = std::vector<double>;
  void expire(Times& times, double now) const;
  void sweep(double now);

  double window_s_;
  std::size_t cap_;
  std::unordered_map<std::uint64_t, Times> times_;
  std::size_t since_sweep_ = 0;
  std::size_t sweep_after_ = 1024;  // requests between sweeps: twice the objects kept by the last
};

// The size in bytes of object `key`: a quantile of `sizes_kb` at a uniform drawn from the
// key alone, so that an object has one size in every region and every run.
double object_bytes(const Distribution& sizes_kb, std::uint64_t key);

struct EdgeVerdict {
  bool bypass = false;      // the origin serves it through the edge; nothing is stored
  bool store = true;        // after a miss: keep it
  bool compressed = false;  // kept compressed
};

// One edge's demand rules: a counter per configured rule (each has its own window), and
// the verdict for each request.
class EdgePolicy {
 public:
  explicit EdgePolicy(const CdnOptions& options);
  // Counts a request for `key` at `now` and decides what the edge does with it.
  EdgeVerdict decide(std::uint64_t key, double now);
  // Objects whose recent requests the counters hold.
  std::size_t tracked() const;

 private:
  const CdnOptions& options_;
  std::optional<RequestCounter> admission_;
  std::optional<RequestCounter> bypass_;
  std::optional<RequestCounter> compress_;
};

}  // namespace archsim::kinds::cdn

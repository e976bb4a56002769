#pragma once
// What a CDN edge decides per request, as plain classes (unit-tested without an engine):
// how often each object was asked for lately (RequestCounter), and, from that count, the
// cost policies' verdict (EdgePolicy): serve from the origin without storing (bypass),
// store after a miss or not (admission), store compressed or whole.
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

#include "core/distribution.hpp"
#include "kinds/cdn/cdn_kind.hpp"

namespace archsim::kinds::cdn {

// Requests per object within a sliding window, counted up to `cap` (enough to decide any
// rule up to that many requests). Memory: up to `cap` times per object seen, objects whose
// last request left the window are dropped as they are met again or swept.
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
  void expire(std::deque<double>& times, double now) const;
  void sweep(double now);

  double window_s_;
  std::size_t cap_;
  std::unordered_map<std::uint64_t, std::deque<double>> times_;
  std::uint64_t operations_ = 0;
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

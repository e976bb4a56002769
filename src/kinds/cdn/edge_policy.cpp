#include "kinds/cdn/edge_policy.hpp"

#include <algorithm>

#include "core/units.hpp"
#include "kinds/load_balancer/balancing_policy.hpp"

namespace archsim::kinds::cdn {

RequestCounter::RequestCounter(double window_s, int cap)
    : window_s_(window_s), cap_(static_cast<std::size_t>(std::max(1, cap))) {}

void RequestCounter::expire(Times& times, double now) const {
  std::size_t gone = 0;
  while (gone < times.size() && times[gone] <= now - window_s_) ++gone;
  times.erase(times.begin(), times.begin() + static_cast<std::ptrdiff_t>(gone));
}

void RequestCounter::sweep(double now) {
  for (auto it = times_.begin(); it != times_.end();) {
    expire(it->second, now);
    it = it->second.empty() ? times_.erase(it) : std::next(it);
  }
}

int RequestCounter::record(std::uint64_t key, double now) {
  // Objects not asked for within the window are forgotten: the memory follows the objects
  // asked for lately, not every object ever seen.
  if (++since_sweep_ >= sweep_after_) {
    sweep(now);
    since_sweep_ = 0;
    sweep_after_ = std::max<std::size_t>(1024, 2 * times_.size());
  }
  Times& times = times_[key];
  expire(times, now);
  if (times.size() == cap_) times.erase(times.begin());
  times.push_back(now);
  return static_cast<int>(times.size());
}

int RequestCounter::count(std::uint64_t key, double now) {
  const auto it = times_.find(key);
  if (it == times_.end()) return 0;
  expire(it->second, now);
  return static_cast<int>(it->second.size());
}

double object_bytes(const Distribution& sizes_kb, std::uint64_t key) {
  const std::uint64_t h = mix_hash(key ^ 0x6f626a6563742d73ULL);
  const double u = (static_cast<double>(h >> 11) + 0.5) * 0x1.0p-53;
  return std::max(1.0, sizes_kb.quantile(u) * kKiB);
}

EdgePolicy::EdgePolicy(const CdnOptions& options) : options_(options) {
  // A counter counts up to one more than its rule's threshold: enough to tell either side.
  if (options.admission) admission_.emplace(options.admission->window_s, options.admission->requests + 1);
  if (options.bypass) bypass_.emplace(options.bypass->window_s, options.bypass->requests + 1);
  if (options.compress) compress_.emplace(options.compress->rule.window_s, options.compress->rule.requests + 1);
}

EdgeVerdict EdgePolicy::decide(std::uint64_t key, double now) {
  EdgeVerdict v;
  if (bypass_ && bypass_->record(key, now) <= options_.bypass->requests) {
    v.bypass = true;
    v.store = false;
  }
  if (admission_ && admission_->record(key, now) < options_.admission->requests) v.store = false;
  if (compress_ && compress_->record(key, now) <= options_.compress->rule.requests) v.compressed = true;
  return v;
}

std::size_t EdgePolicy::tracked() const {
  std::size_t n = 0;
  for (const auto* c : {&admission_, &bypass_, &compress_})
    if (*c) n = std::max(n, (*c)->tracked());
  return n;
}

}  // namespace archsim::kinds::cdn

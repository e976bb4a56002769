#include "kinds/load_balancer/balancing_policy.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace archsim {

std::uint64_t mix_hash(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

namespace {
// The healthy backends in index order (see BackendView::index_health).
std::size_t healthy_count(const BackendView& view) { return view.healthy_list.size(); }

int nth_healthy(const BackendView& view, std::size_t n) {
  return n < view.healthy_list.size() ? view.healthy_list[n] : -1;
}

std::uint64_t routing_hash(const RoutingRequest& r, HashOn on) {
  return mix_hash(on == HashOn::Session ? r.session : r.key);
}
}  // namespace

std::unique_ptr<BalancingPolicy> make_policy(const PolicyConfig& config, int backends) {
  switch (config.kind) {
    case PolicyKind::RoundRobin:
      return std::make_unique<RoundRobinPolicy>();
    case PolicyKind::WeightedRoundRobin: {
      std::vector<double> w = config.weights;
      w.resize(static_cast<std::size_t>(backends), 1.0);
      return std::make_unique<WeightedRoundRobinPolicy>(w);
    }
    case PolicyKind::Random:
      return std::make_unique<RandomPolicy>();
    case PolicyKind::LeastConnections:
      return std::make_unique<LeastConnectionsPolicy>();
    case PolicyKind::PowerOfD:
      return std::make_unique<PowerOfDPolicy>(config.choices);
    case PolicyKind::Sticky:
      return std::make_unique<StickyPolicy>();
    case PolicyKind::Hash:
      return std::make_unique<HashPolicy>(config.hash_on);
    case PolicyKind::ConsistentHash:
      return std::make_unique<ConsistentHashPolicy>(backends, config.virtual_nodes, config.hash_on);
  }
  return std::make_unique<RoundRobinPolicy>();
}

int RoundRobinPolicy::choose(const RoutingRequest&, const BackendView& view, RandomStream&) {
  // The first healthy backend at or after the turn, wrapping around: a binary search.
  const auto& list = view.healthy_list;
  const std::size_t n = view.healthy.size();
  if (list.empty() || n == 0) return -1;
  auto it = std::lower_bound(list.begin(), list.end(), static_cast<int>(next_ % n));
  const int chosen = it == list.end() ? list.front() : *it;
  next_ = (static_cast<std::size_t>(chosen) + 1) % n;
  return chosen;
}

WeightedRoundRobinPolicy::WeightedRoundRobinPolicy(std::vector<double> weights)
    : weights_(std::move(weights)), current_(weights_.size(), 0.0) {}

int WeightedRoundRobinPolicy::choose(const RoutingRequest&, const BackendView& view, RandomStream&) {
  // Smooth weighted round robin: every healthy backend gains its weight, the richest is
  // chosen and pays the total.
  double total = 0.0;
  int best = -1;
  for (std::size_t i = 0; i < weights_.size() && i < view.healthy.size(); ++i) {
    if (!view.healthy[i] || weights_[i] <= 0.0) continue;
    current_[i] += weights_[i];
    total += weights_[i];
    if (best < 0 || current_[i] > current_[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
  }
  if (best >= 0) current_[static_cast<std::size_t>(best)] -= total;
  return best;
}

int RandomPolicy::choose(const RoutingRequest&, const BackendView& view, RandomStream& rng) {
  const std::size_t healthy = healthy_count(view);
  if (healthy == 0) return -1;
  return nth_healthy(view, rng.below(healthy));
}

int LeastConnectionsPolicy::choose(const RoutingRequest&, const BackendView& view, RandomStream&) {
  const std::size_t n = view.healthy.size();
  int best = -1;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (rotation_ + k) % n;
    if (!view.healthy[i]) continue;
    if (best < 0 || view.connections[i] < view.connections[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
  }
  rotation_ = n ? (rotation_ + 1) % n : 0;
  return best;
}

int PowerOfDPolicy::choose(const RoutingRequest&, const BackendView& view, RandomStream& rng) {
  const std::size_t healthy = healthy_count(view);
  if (healthy == 0) return -1;
  if (healthy == 1) return nth_healthy(view, 0);
  // d distinct ranks among the healthy backends: the j-th draw picks among the healthy
  // backends not drawn yet (kept sorted, so a rank skips those below it).
  const std::size_t d = std::min<std::size_t>(static_cast<std::size_t>(d_), healthy);
  drawn_.clear();
  int best = -1;
  for (std::size_t j = 0; j < d; ++j) {
    std::size_t rank = rng.below(healthy - j);
    std::size_t pos = 0;
    for (; pos < drawn_.size() && drawn_[pos] <= rank; ++pos) ++rank;
    drawn_.insert(drawn_.begin() + static_cast<std::ptrdiff_t>(pos), rank);
    const int candidate = nth_healthy(view, rank);
    if (best < 0 || view.connections[static_cast<std::size_t>(candidate)] < view.connections[static_cast<std::size_t>(best)])
      best = candidate;
  }
  return best;
}

int StickyPolicy::choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) {
  auto it = assigned_.find(request.session);
  if (it != assigned_.end()) {
    if (view.healthy[static_cast<std::size_t>(it->second)]) return it->second;
    ++lost_;  // the session's state lived on a backend that is gone
    assigned_.erase(it);
  }
  const int chosen = first_.choose(request, view, rng);
  if (chosen >= 0) assigned_.emplace(request.session, chosen);
  return chosen;
}

int HashPolicy::choose(const RoutingRequest& request, const BackendView& view, RandomStream&) {
  const std::size_t healthy = healthy_count(view);
  if (healthy == 0) return -1;
  return nth_healthy(view, routing_hash(request, on_) % healthy);
}

HashRing::HashRing(int backends, int virtual_nodes) : backends_(backends) {
  points_.reserve(static_cast<std::size_t>(backends) * static_cast<std::size_t>(virtual_nodes));
  for (int b = 0; b < backends; ++b)
    for (int v = 0; v < virtual_nodes; ++v)
      points_.emplace_back(mix_hash((static_cast<std::uint64_t>(b) << 32) ^ static_cast<std::uint64_t>(v) ^
                                    0x5bd1e9955bd1e995ULL),
                           b);
  std::sort(points_.begin(), points_.end());
}

std::vector<double> HashRing::shares() const {
  std::vector<double> share(static_cast<std::size_t>(backends_), 0.0);
  if (points_.empty()) return share;
  constexpr double kSpace = 18446744073709551616.0;  // 2^64
  for (std::size_t i = 0; i < points_.size(); ++i) {
    // A point owns the arc from its predecessor (exclusive) up to itself.
    const std::uint64_t from = i == 0 ? points_.back().first : points_[i - 1].first;
    const std::uint64_t arc = points_[i].first - from;  // wraps modulo 2^64 for i == 0
    share[static_cast<std::size_t>(points_[i].second)] += static_cast<double>(arc) / kSpace;
  }
  if (points_.size() == 1) share[static_cast<std::size_t>(points_[0].second)] = 1.0;
  return share;
}

int ConsistentHashPolicy::choose(const RoutingRequest& request, const BackendView& view, RandomStream&) {
  return ring_.owner(routing_hash(request, on_), [&view](int b) { return view.healthy[static_cast<std::size_t>(b)]; });
}

}  // namespace archsim

#pragma once
// How a load balancer (or a client-side router) picks the backend for a request. Plain
// classes: they see only the backends' health and open connections, never the engine,
// so unit tests drive them directly.
//
//  round_robin            each healthy backend in turn
//  weighted_round_robin   smooth weighted round robin (nginx's): backend i gets w_i / sum w
//                         of the requests, interleaved rather than in bursts
//  random                 uniformly among the healthy ones
//  least_connections      the healthy backend with the fewest open connections
//  power_of_d             d healthy backends at random (distinct), the one with the fewest
//                         connections (the first drawn among equals); power_of_two: d = 2
//  sticky                 a session stays on the backend that served its first request;
//                         when that backend is unhealthy the session moves (and is lost:
//                         its server-side state is gone), new sessions use round robin
//  hash                   hash(session or key) mod (number of healthy backends): any change
//                         in the healthy set remaps most keys
//  consistent_hash        a ring with `virtual_nodes` points per backend; a key goes to the
//                         first healthy point clockwise, so losing one backend of n remaps
//                         only about 1/n of the keys
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/rng.hpp"
#include "scenario/balancing.hpp"

namespace archsim {

struct BackendView {
  std::vector<bool> healthy;      // per backend
  std::vector<int> connections;   // open connections per backend
  // The healthy backends in index order: call index_health() after changing `healthy`
  // (policies pick among them in O(1) rather than scanning every backend per request).
  std::vector<int> healthy_list;

  void index_health() {
    healthy_list.clear();
    for (std::size_t i = 0; i < healthy.size(); ++i)
      if (healthy[i]) healthy_list.push_back(static_cast<int>(i));
  }
};

struct RoutingRequest {
  std::uint64_t session = 0;
  std::uint64_t key = 0;
};

class BalancingPolicy {
 public:
  virtual ~BalancingPolicy() = default;
  // The backend for `request`, or -1 when no backend is healthy.
  virtual int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) = 0;
  // Sessions that had to move because their backend became unhealthy (sticky only).
  virtual std::uint64_t lost_sessions() const { return 0; }
  // Forgets a finished session (sticky only).
  virtual void end_session(std::uint64_t /*session*/) {}
};

std::unique_ptr<BalancingPolicy> make_policy(const PolicyConfig& config, int backends);

class RoundRobinPolicy : public BalancingPolicy {
 public:
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;

 private:
  std::size_t next_ = 0;
};

class WeightedRoundRobinPolicy : public BalancingPolicy {
 public:
  explicit WeightedRoundRobinPolicy(std::vector<double> weights);
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;

 private:
  std::vector<double> weights_;
  std::vector<double> current_;
};

class RandomPolicy : public BalancingPolicy {
 public:
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;
};

class LeastConnectionsPolicy : public BalancingPolicy {
 public:
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;

 private:
  std::size_t rotation_ = 0;  // breaks ties in turn, not always toward backend 0
};

class PowerOfDPolicy : public BalancingPolicy {
 public:
  explicit PowerOfDPolicy(int d) : d_(d) {}
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;

 private:
  int d_;
  std::vector<std::size_t> drawn_;  // scratch: ranks among the healthy backends
};

class StickyPolicy : public BalancingPolicy {
 public:
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;
  std::uint64_t lost_sessions() const override { return lost_; }
  void end_session(std::uint64_t session) override { assigned_.erase(session); }
  std::size_t sessions() const { return assigned_.size(); }

 private:
  RoundRobinPolicy first_;
  std::unordered_map<std::uint64_t, int> assigned_;
  std::uint64_t lost_ = 0;
};

class HashPolicy : public BalancingPolicy {
 public:
  explicit HashPolicy(HashOn on) : on_(on) {}
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;

 private:
  HashOn on_;
};

// The ring of consistent hashing; also used on its own (sharding, tests).
class HashRing {
 public:
  HashRing(int backends, int virtual_nodes);
  // The backend owning `hash`: the first point clockwise whose backend is accepted.
  template <typename Accept>
  int owner(std::uint64_t hash, Accept accept) const;
  // The first `count` distinct accepted backends clockwise from `hash` (fewer when there
  // are not as many), into `out`: where a key and its copies live.
  template <typename Accept>
  void owners(std::uint64_t hash, std::size_t count, Accept accept, std::vector<int>& out) const;
  // Fraction of the hash space each backend owns.
  std::vector<double> shares() const;

 private:
  int backends_;
  std::vector<std::pair<std::uint64_t, int>> points_;  // sorted by position
};

class ConsistentHashPolicy : public BalancingPolicy {
 public:
  ConsistentHashPolicy(int backends, int virtual_nodes, HashOn on) : ring_(backends, virtual_nodes), on_(on) {}
  int choose(const RoutingRequest& request, const BackendView& view, RandomStream& rng) override;
  const HashRing& ring() const { return ring_; }

 private:
  HashRing ring_;
  HashOn on_;
};

// A well-mixed 64-bit hash of a number (splitmix64 finaliser).
std::uint64_t mix_hash(std::uint64_t x);

template <typename Accept>
int HashRing::owner(std::uint64_t hash, Accept accept) const {
  if (points_.empty()) return -1;
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(hash, -1));
  for (std::size_t n = 0; n < points_.size(); ++n, ++it) {
    if (it == points_.end()) it = points_.begin();
    if (accept(it->second)) return it->second;
  }
  return -1;
}

template <typename Accept>
void HashRing::owners(std::uint64_t hash, std::size_t count, Accept accept, std::vector<int>& out) const {
  out.clear();
  if (points_.empty() || count == 0) return;
  auto it = std::lower_bound(points_.begin(), points_.end(), std::make_pair(hash, -1));
  for (std::size_t n = 0; n < points_.size() && out.size() < count; ++n, ++it) {
    if (it == points_.end()) it = points_.begin();
    if (accept(it->second) && std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
}

}  // namespace archsim

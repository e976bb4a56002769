#include "metrics/utilization_law.hpp"

#include <algorithm>
#include <map>

namespace archsim {

namespace {

class DemandWalker {
 public:
  explicit DemandWalker(const Scenario& s) : s_(s) {}

  // Visits endpoint `endpoint` of service `service` with weight `w` (expected visits per request).
  void visit(int service, int endpoint, double w, int depth = 0) {
    if (depth > 64 || w <= 0) return;
    const ServiceSpec& svc = s_.services[static_cast<std::size_t>(service)];
    if (svc.balancer) {
      const auto hosts = balancer_hosts(svc);
      for (int h : hosts) cpu(h, w / static_cast<double>(hosts.size()) * svc.balancer->cpu_ms.mean() / 1000.0);
      if (svc.balancer->backend >= 0) visit(svc.balancer->backend, endpoint, w, depth + 1);
      return;
    }
    const EndpointSpec& ep = svc.endpoints[static_cast<std::size_t>(endpoint)];
    const auto placement = serving_hosts(svc, ep.write);
    for (const auto& [host, share] : placement) steps(svc, ep.steps, host, w * share, depth);
    if (svc.replication && ep.write)
      for (std::size_t r = 1; r < svc.replica_hosts.size(); ++r)
        steps(svc, svc.replication->apply_steps, svc.replica_hosts[r], w, depth);
  }

  std::map<std::string, ResourceDemand> demands;

 private:
  std::vector<int> balancer_hosts(const ServiceSpec& svc) const {
    if (svc.balancer->active_passive) return {svc.replica_hosts.front()};
    return svc.replica_hosts;
  }

  // Where an endpoint runs, with the share of the visits each host gets.
  std::vector<std::pair<int, double>> serving_hosts(const ServiceSpec& svc, bool write) const {
    std::vector<int> hosts;
    if (svc.replication) {
      if (write) {
        hosts.push_back(svc.replica_hosts.front());
      } else {
        for (std::size_t r = svc.replication->read_from_primary ? 0 : 1; r < svc.replica_hosts.size(); ++r)
          hosts.push_back(svc.replica_hosts[r]);
      }
    } else {
      hosts = svc.replica_hosts;
    }
    std::vector<std::pair<int, double>> out;
    for (int h : hosts) out.emplace_back(h, 1.0 / static_cast<double>(hosts.size()));
    return out;
  }

  void steps(const ServiceSpec& svc, const std::vector<Step>& list, int host, double w, int depth) {
    for (const Step& step : list) {
      const double ws = w * step.probability;
      const HostSpec& h = s_.hosts[static_cast<std::size_t>(host)];
      switch (step.kind) {
        case StepKind::Cpu:
          cpu(host, ws * step.cpu_ms.mean() / 1000.0 / h.core_speed);
          break;
        case StepKind::Read: {
          const double hit = svc.buffer_cache_hit_ratio;
          cpu(host, ws * hit * step.bytes / s_.platform.memory_read_bytes_per_s);
          disk(host, ws * (1.0 - hit) * (h.disk.seek_s + step.bytes / h.disk.read_bytes_per_s));
          break;
        }
        case StepKind::Write:
          disk(host, ws * (h.disk.seek_s + step.bytes / h.disk.write_bytes_per_s));
          break;
        case StepKind::Call:
        case StepKind::Forward:
          visit(step.service, step.endpoint, ws, depth + 1);
          break;
        case StepKind::Parallel:
        case StepKind::Sequence:
          steps(svc, step.children, host, ws, depth);
          break;
      }
    }
  }

  void add(const std::string& name, double seconds, double capacity) {
    auto& d = demands[name];
    d.resource = name;
    d.capacity = capacity;
    d.seconds_per_request += seconds;
  }
  void cpu(int host, double seconds) {
    const HostSpec& h = s_.hosts[static_cast<std::size_t>(host)];
    add(h.name + ".cpu", seconds, h.cores);
  }
  void disk(int host, double seconds) { add(s_.hosts[static_cast<std::size_t>(host)].name + ".disk", seconds, 1.0); }

  const Scenario& s_;
};

}  // namespace

std::vector<ResourceDemand> estimate_demands(const Scenario& scenario, int client) {
  DemandWalker walker(scenario);
  double total_weight = 0;
  std::vector<double> weights;
  for (std::size_t c = 0; c < scenario.clients.size(); ++c) {
    const ClientSpec& spec = scenario.clients[c];
    double weight = 0;
    if (client < 0)
      weight = spec.model == ClientModel::Open ? spec.rate_rps : static_cast<double>(spec.users);
    else
      weight = static_cast<int>(c) == client ? 1.0 : 0.0;
    weights.push_back(weight);
    total_weight += weight;
  }
  for (std::size_t c = 0; c < scenario.clients.size(); ++c) {
    if (weights[c] <= 0 || total_weight <= 0) continue;
    const ClientSpec& spec = scenario.clients[c];
    double mix = 0;
    for (const auto& op : spec.operations) mix += op.weight;
    for (const auto& op : spec.operations)
      walker.visit(spec.target, op.endpoint, weights[c] / total_weight * op.weight / mix);
  }
  std::vector<ResourceDemand> out;
  for (auto& [name, d] : walker.demands)
    if (d.seconds_per_request > 0) out.push_back(d);
  std::sort(out.begin(), out.end(), [](const ResourceDemand& a, const ResourceDemand& b) {
    return a.saturation_rps() < b.saturation_rps() || (a.saturation_rps() == b.saturation_rps() && a.resource < b.resource);
  });
  return out;
}

}  // namespace archsim

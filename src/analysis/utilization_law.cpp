#include "analysis/utilization_law.hpp"

#include <algorithm>
#include <map>

#include "scenario/catalog.hpp"

namespace archsim {

namespace {

// Accumulates the demands of client requests by walking the call graph through the kinds'
// demand models (ServiceKind::demand, StepKind::demand).
class DemandWalker : public DemandContext {
 public:
  explicit DemandWalker(const Scenario& s) : s_(s) {}

  const Scenario& scenario() const override { return s_; }

  void visit(int service, int endpoint, double weight) override {
    if (depth_ > 64 || weight <= 0 || service < 0 || endpoint < 0) return;
    ++depth_;
    const ServiceSpec& svc = s_.services[static_cast<std::size_t>(service)];
    svc.kind->demand(svc, endpoint, weight, *this);
    --depth_;
  }

  void steps(const ServiceSpec& service, const std::vector<Step>& list, int host, double weight) override {
    for (const Step& step : list) step.kind->demand(step, service, host, weight * step.probability, *this);
  }

  void cpu(int host, double seconds) override {
    const HostSpec& h = s_.hosts[static_cast<std::size_t>(host)];
    add(h.name + ".cpu", seconds, h.cores);
  }
  void disk(int host, double seconds) override {
    add(s_.hosts[static_cast<std::size_t>(host)].name + ".disk", seconds, 1.0);
  }

  std::map<std::string, ResourceDemand> demands;

 private:
  void add(const std::string& name, double seconds, double capacity) {
    auto& d = demands[name];
    d.resource = name;
    d.capacity = capacity;
    d.seconds_per_request += seconds;
  }

  const Scenario& s_;
  int depth_ = 0;
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
      weight = spec.model == ClientModel::Closed ? static_cast<double>(spec.users) : spec.rate_rps;
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

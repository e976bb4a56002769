#include "scenario/steps.hpp"

#include <algorithm>
#include <memory>

#include "core/units.hpp"
#include "scenario/builder.hpp"

namespace archsim {

namespace {

const HostSpec& host_of(DemandContext& context, int host) {
  return context.scenario().hosts[static_cast<std::size_t>(host)];
}

class CpuKind : public StepKind {
 public:
  const char* key() const override { return "cpu_ms"; }
  void parse(Step& step, const Node& node, const StepPlace&, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<CpuStep>();
    options->cpu_ms = builder.distribution(node.at("cpu_ms"));
    step.options = options;
  }
  void demand(const Step& step, const ServiceSpec&, int host, double weight, DemandContext& context) const override {
    context.cpu(host, weight * step.options_as<CpuStep>().cpu_ms.mean() / 1000.0 / host_of(context, host).core_speed);
  }
};

class ReadKind : public StepKind {
 public:
  const char* key() const override { return "read_kb"; }
  void parse(Step& step, const Node& node, const StepPlace&, ScenarioBuilder&) const override {
    auto options = std::make_shared<IoStep>();
    options->bytes = node.at("read_kb").number() * kKiB;
    step.options = options;
  }
  void demand(const Step& step, const ServiceSpec& service, int host, double weight,
              DemandContext& context) const override {
    const double bytes = step.options_as<IoStep>().bytes;
    const double hit = service.buffer_cache_hit_ratio;
    const HostSpec& h = host_of(context, host);
    context.cpu(host, weight * hit * bytes / context.scenario().platform.memory_read_bytes_per_s);
    context.disk(host, weight * (1.0 - hit) * (h.disk.seek_s + bytes / h.disk.read_bytes_per_s));
  }
};

class WriteKind : public StepKind {
 public:
  const char* key() const override { return "write_kb"; }
  void parse(Step& step, const Node& node, const StepPlace&, ScenarioBuilder&) const override {
    auto options = std::make_shared<IoStep>();
    options->bytes = node.at("write_kb").number() * kKiB;
    step.options = options;
  }
  void demand(const Step& step, const ServiceSpec&, int host, double weight, DemandContext& context) const override {
    const HostSpec& h = host_of(context, host);
    context.disk(host, weight * (h.disk.seek_s + step.options_as<IoStep>().bytes / h.disk.write_bytes_per_s));
  }
};

// A call or a forward: both name an endpoint of another service.
class TargetedKind : public StepKind {
 public:
  explicit TargetedKind(bool forward) : forward_(forward) {}
  const char* key() const override { return forward_ ? "forward" : "call"; }
  bool ends_endpoint() const override { return forward_; }
  bool sent_in_parallel() const override { return !forward_; }

  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<CallStep>();
    step.options = options;
    options->request_bytes = node.at("request_kb").number() * kKiB;
    if (!forward_) {
      options->response_bytes = node.at("response_kb").number() * kKiB;
      options->timeout_s = node.at("timeout_ms").number() / 1000.0;
      options->continue_on_error = node.at("on_error").is("continue");
    }
    if (forward_ && place.in_group) builder.problem(node.pointer(), "a forward cannot be inside a parallel or sequence step");
    options->service = builder.service_named(node.at(key()));
    if (options->service < 0) return;
    const ServiceSpec& target = builder.scenario().services[static_cast<std::size_t>(options->service)];
    if (target.kind && target.kind->reached_by()) {
      builder.problem(node.at(key()), std::string("service ") + target.name + " (kind " + target.kind->name() +
                                          ") takes no calls: it is reached by " + target.kind->reached_by());
      options->service = -1;
      return;
    }
    if (target.kind && !target.kind->serves_services()) {
      builder.problem(node.at(key()), std::string("service ") + target.name + " (kind " + target.kind->name() +
                                          ") serves clients only: point a client population at it");
      options->service = -1;
      return;
    }
    options->endpoint = builder.endpoint_named(options->service, node.at("endpoint"), node.at(key()));
    if (options->endpoint < 0) return;
    options->hop = builder.hop(place.service, options->service, options->endpoint);
    if (!forward_)
      builder.exchange(place.service, options->service, options->request_bytes, options->response_bytes,
                       options->timeout_s, node.pointer());
  }
  std::optional<CallTarget> target(const Step& step) const override {
    const auto& call = step.options_as<CallStep>();
    return CallTarget{call.service, call.endpoint};
  }
  void demand(const Step& step, const ServiceSpec&, int, double weight, DemandContext& context) const override {
    const auto& call = step.options_as<CallStep>();
    context.visit(call.service, call.endpoint, weight);
  }

 private:
  bool forward_;
};

// A group: parallel branches or a sequence.
class GroupKind : public StepKind {
 public:
  explicit GroupKind(bool parallel) : parallel_(parallel) {}
  const char* key() const override { return parallel_ ? "parallel" : "sequence"; }
  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    step.children = builder.steps(node.at(key()), {place.service, true});
  }
  void demand(const Step& step, const ServiceSpec& service, int host, double weight,
              DemandContext& context) const override {
    context.steps(service, step.children, host, weight);
  }

 private:
  bool parallel_;
};

// One of several branches by weight (a mixture: hyperexponential service times, a cache
// hit or miss, ...). Each branch becomes a sequence child.
class ChoiceKind : public StepKind {
 public:
  explicit ChoiceKind(const StepKind& sequence) : sequence_(sequence) {}
  const char* key() const override { return "choice"; }
  void parse(Step& step, const Node& node, const StepPlace& place, ScenarioBuilder& builder) const override {
    auto options = std::make_shared<ChoiceStep>();
    double total = 0;
    for (const Node& branch : node.at("choice").elements()) {
      total += branch.at("weight").number();
      options->cumulative.push_back(total);
      Step group;
      group.kind = &sequence_;
      group.children = builder.steps(branch.at("steps"), {place.service, true});
      step.children.push_back(std::move(group));
    }
    for (double& c : options->cumulative) c /= total;
    step.options = options;
  }
  void demand(const Step& step, const ServiceSpec& service, int host, double weight,
              DemandContext& context) const override {
    const auto& choice = step.options_as<ChoiceStep>();
    for (std::size_t b = 0; b < step.children.size(); ++b)
      context.steps(service, step.children[b].children, host, weight * choice.probability(b));
  }

 private:
  const StepKind& sequence_;
};

}  // namespace

void add_generic_steps(Catalog& catalog) {
  static CpuKind cpu;
  static ReadKind read;
  static WriteKind write;
  static TargetedKind call(false), forward(true);
  static GroupKind parallel(true), sequence(false);
  static ChoiceKind choice(sequence);
  for (StepKind* kind :
       std::initializer_list<StepKind*>{&cpu, &read, &write, &call, &forward, &parallel, &sequence, &choice})
    catalog.add(*kind);
}

}  // namespace archsim

#include "recording/gauges.hpp"

#include <algorithm>

namespace archsim {

int Gauges::level(std::string name, Reading value) {
  gauges_.push_back({std::move(name), Kind::Level, std::move(value), nullptr});
  return static_cast<int>(gauges_.size()) - 1;
}

int Gauges::ratio(std::string name, Reading numerator, Reading denominator, bool clamp) {
  gauges_.push_back({std::move(name), Kind::Ratio, std::move(numerator), std::move(denominator), clamp});
  return static_cast<int>(gauges_.size()) - 1;
}

int Gauges::counter(std::string name, Reading cumulative) {
  gauges_.push_back({std::move(name), Kind::Counter, std::move(cumulative), nullptr});
  return static_cast<int>(gauges_.size()) - 1;
}

int Gauges::find(const std::string& name) const {
  for (std::size_t i = 0; i < gauges_.size(); ++i)
    if (gauges_[i].name == name) return static_cast<int>(i);
  return -1;
}

void Gauges::start() {
  for (Gauge& g : gauges_) {
    g.a_window = g.a_warmup = g.kind == Kind::Level ? 0.0 : g.a();
    g.b_window = g.b_warmup = g.kind == Kind::Ratio ? g.b() : 0.0;
  }
}

void Gauges::warmup_over() {
  for (Gauge& g : gauges_) {
    if (g.kind == Kind::Level) continue;
    g.a_warmup = g.a();
    if (g.kind == Kind::Ratio) g.b_warmup = g.b();
  }
}

double Gauges::value_since(const Gauge& g, double a0, double b0) {
  switch (g.kind) {
    case Kind::Level:
      return g.a();
    case Kind::Counter:
      return g.a() - a0;
    case Kind::Ratio: {
      const double den = g.b() - b0;
      if (!(den > 0)) return 0.0;
      const double r = (g.a() - a0) / den;
      return g.clamp ? std::clamp(r, 0.0, 1.0) : r;
    }
  }
  return 0.0;
}

std::vector<float> Gauges::sample() {
  std::vector<float> row;
  row.reserve(gauges_.size());
  for (Gauge& g : gauges_) {
    row.push_back(static_cast<float>(value_since(g, g.a_window, g.b_window)));
    if (g.kind != Kind::Level) g.a_window = g.a();
    if (g.kind == Kind::Ratio) g.b_window = g.b();
  }
  return row;
}

double Gauges::current(int id) const {
  const Gauge& g = gauges_[static_cast<std::size_t>(id)];
  return value_since(g, g.a_window, g.b_window);
}

double Gauges::measured(int id) const {
  const Gauge& g = gauges_[static_cast<std::size_t>(id)];
  return value_since(g, g.a_warmup, g.b_warmup);
}

}  // namespace archsim

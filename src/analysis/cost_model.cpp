#include "analysis/cost_model.hpp"

#include <cmath>

#include "core/text.hpp"
#include "core/units.hpp"
#include "scenario/catalog.hpp"

namespace archsim {

namespace {

constexpr double kBytesPerGb = kGB;

double per_month(double amount, double measured_s, double month_s) {
  return measured_s > 0 ? amount / measured_s * month_s : 0.0;
}

}  // namespace

double host_price_per_hour(const CostSpec& cost, int cores) {
  if (cost.host_per_hour.empty()) return 0.0;
  for (const auto& [size, price] : cost.host_per_hour)
    if (size >= cores) return price;
  const auto& [size, price] = cost.host_per_hour.back();
  return price / size * cores;
}

double server_price(const CostSpec& cost, int cores) {
  return cost.on_premises.server_base + cost.on_premises.server_per_core * cores;
}

MonthlyCost monthly_cost(const Scenario& scenario, const CostUsage& usage) {
  const CostSpec& prices = scenario.cost;
  const double month_s = prices.hours_per_month * 3600.0;
  const double measured = usage.measured_s;
  const bool owned = prices.mode == CostSpec::Mode::OnPremises;
  const auto& op = prices.on_premises;
  MonthlyCost m;
  // A CDN's edge servers are part of its egress and request prices, not hosts of ours.
  std::vector<bool> billed_elsewhere(scenario.hosts.size(), false);
  for (const ServiceSpec& service : scenario.services)
    if (service.kind && service.kind->bills_own_egress())
      for (int h : service.replica_hosts) billed_elsewhere[static_cast<std::size_t>(h)] = true;
  for (std::size_t h = 0; h < scenario.hosts.size(); ++h) {
    const HostSpec& host = scenario.hosts[h];
    if (!host.may_run || billed_elsewhere[h]) continue;
    const double running = measured > 0 ? usage.host_running_s[h] / measured : 0.0;  // of the month
    m.host_hours += running * prices.hours_per_month;
    if (!owned) {
      m.compute += running * prices.hours_per_month * host_price_per_hour(prices, host.cores);
      continue;
    }
    const double kw = (op.watts_base + op.watts_per_core * host.cores) / 1000.0 * op.pue;
    m.compute += server_price(prices, host.cores) / (op.amortisation_years * 12.0) + op.rack_per_server_month +
                 running * prices.hours_per_month * kw * op.power_per_kwh;
  }
  m.origin_to_cdn_gb = per_month(usage.origin_to_cdn_bytes, measured, month_s) / kBytesPerGb;
  m.origin_egress = owned ? m.origin_to_cdn_gb * op.transit_per_gb : m.origin_to_cdn_gb * prices.origin_to_cdn_per_gb;
  for (std::size_t r = 0; r < usage.origin_egress_bytes.size(); ++r) {
    const double gb = per_month(usage.origin_egress_bytes[r], measured, month_s) / kBytesPerGb;
    m.origin_egress_gb += gb;
    m.origin_egress += gb * (owned ? op.transit_per_gb
                                   : r < prices.origin_egress_per_gb.size() ? prices.origin_egress_per_gb[r] : 0.0);
  }
  for (std::size_t r = 0; r < usage.cdn_egress_bytes.size(); ++r) {
    const double gb = per_month(usage.cdn_egress_bytes[r], measured, month_s) / kBytesPerGb;
    const double requests = per_month(usage.cdn_requests[r], measured, month_s);
    m.cdn_egress_gb += gb;
    m.cdn_requests_millions += requests / 1e6;
    m.cdn_egress += gb * (r < prices.cdn_egress_per_gb.size() ? prices.cdn_egress_per_gb[r] : 0.0);
    m.cdn_requests += requests / 1e4 * prices.cdn_per_10k_requests;
  }
  m.storage_gb = measured > 0 ? usage.stored_byte_seconds / measured / kBytesPerGb : 0.0;
  m.storage = m.storage_gb * prices.storage_per_gb_month;
  m.total = m.compute + m.origin_egress + m.cdn_egress + m.cdn_requests + m.storage;
  const double requests_per_month = per_month(usage.requests, measured, month_s);
  m.per_million_requests = requests_per_month > 0 ? m.total / (requests_per_month / 1e6) : 0.0;
  return m;
}

nlohmann::ordered_json cost_report(const Scenario& scenario, const MonthlyCost& m) {
  // Cents are the resolution of a bill; usage keeps four significant digits.
  const auto usd = [](double v) { return std::round(v * 100.0) / 100.0; };
  nlohmann::ordered_json j;
  j["mode"] = scenario.cost.mode == CostSpec::Mode::OnPremises ? "on_premises" : "cloud";
  j["currency"] = "USD";
  j["per_month"] = {{"compute", usd(m.compute)},         {"origin_egress", usd(m.origin_egress)},
                    {"cdn_egress", usd(m.cdn_egress)},   {"cdn_requests", usd(m.cdn_requests)},
                    {"storage", usd(m.storage)},         {"total", usd(m.total)}};
  j["per_million_requests"] = tidy(m.per_million_requests);
  j["usage_per_month"] = {{"host_hours", tidy(m.host_hours)},
                          {"origin_egress_gb", tidy(m.origin_egress_gb)},
                          {"origin_to_cdn_gb", tidy(m.origin_to_cdn_gb)},
                          {"cdn_egress_gb", tidy(m.cdn_egress_gb)},
                          {"cdn_requests_millions", tidy(m.cdn_requests_millions)},
                          {"edge_storage_gb", tidy(m.storage_gb)}};
  j["assumptions"] = scenario.cost.assumptions;
  return j;
}

}  // namespace archsim

#pragma once
// What a design costs per month, from what a run measured: the hosts' running time, the
// bytes sent to clients by the origin and by CDN edges, the requests edges answered and
// the bytes they held, at the prices of the hardware profile (CostSpec). The measured
// period's rates are extrapolated to a month (prices.hours_per_month).
//
// Cloud: a host pays the hourly price of the smallest size with at least its cores while
// it is not parked (a crashed instance is still billed). The hosts of a kind that bills its
// own egress (a CDN's edges) are in its prices, not in the compute bill. On premises: a host's purchase is
// amortised over its life and its rack space is paid whether it runs or not; its power
// (cores and base, times the facility's PUE) only while it runs; transit replaces egress.
// CDN egress and requests are billed by each edge's region's price tier, in both modes.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "scenario/scenario.hpp"

namespace archsim {

// What a run measured, over its measured period.
struct CostUsage {
  double measured_s = 0;
  double requests = 0;                     // client requests sent
  std::vector<double> host_running_s;      // by host: time not parked
  std::vector<double> origin_egress_bytes; // replies from the platform's services to clients,
                                           // by region of the sending host
  double origin_to_cdn_bytes = 0;          // objects an origin sent to edges
  std::vector<double> cdn_egress_bytes;    // by region of the edge
  std::vector<double> cdn_requests;        // by region of the edge
  double stored_byte_seconds = 0;          // bytes held by edges, integrated over time

  CostUsage() = default;
  explicit CostUsage(const Scenario& scenario)
      : host_running_s(scenario.hosts.size(), 0.0),
        origin_egress_bytes(scenario.platform.regions.size(), 0.0),
        cdn_egress_bytes(scenario.platform.regions.size(), 0.0),
        cdn_requests(scenario.platform.regions.size(), 0.0) {}
};

struct MonthlyCost {
  double compute = 0;
  double origin_egress = 0;  // to clients and to edges (transit on premises)
  double cdn_egress = 0;
  double cdn_requests = 0;
  double storage = 0;
  double total = 0;
  double per_million_requests = 0;
  // What is billed, per month.
  double host_hours = 0;
  double origin_egress_gb = 0;
  double origin_to_cdn_gb = 0;
  double cdn_egress_gb = 0;
  double cdn_requests_millions = 0;
  double storage_gb = 0;  // mean bytes held by edges
};

// The hourly cloud price of a host of `cores`.
double host_price_per_hour(const CostSpec& cost, int cores);
// The purchase price of an owned server of `cores`.
double server_price(const CostSpec& cost, int cores);

MonthlyCost monthly_cost(const Scenario& scenario, const CostUsage& usage);

// summary.json's cost section.
nlohmann::ordered_json cost_report(const Scenario& scenario, const MonthlyCost& cost);

}  // namespace archsim

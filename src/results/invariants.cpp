#include "results/invariants.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace archsim {

using nlohmann::ordered_json;

namespace {

std::uint64_t u(const ordered_json& j, const char* key) { return j[key].get<std::uint64_t>(); }
std::int64_t i64(const ordered_json& j, const char* key) { return j[key].get<std::int64_t>(); }

void check_conservation(const std::string& what, const ordered_json& counts, std::vector<std::string>& out) {
  const auto sent = u(counts, "sent"), ok = u(counts, "ok"), failed = u(counts, "failed");
  const auto in_flight = i64(counts, "in_flight");
  if (in_flight < 0 || sent != ok + failed + static_cast<std::uint64_t>(in_flight))
    out.push_back(what + ": sent (" + std::to_string(sent) + ") != ok (" + std::to_string(ok) + ") + failed (" +
                  std::to_string(failed) + ") + in flight (" + std::to_string(in_flight) + ")");
}

void check_monotone(const std::string& what, const ordered_json& latency, std::vector<std::string>& out) {
  const char* order[] = {"min", "p50", "p90", "p95", "p99", "p999", "max"};
  for (int i = 0; i + 1 < 7; ++i) {
    const double a = latency[order[i]].get<double>();
    const double b = latency[order[i + 1]].get<double>();
    if (a > b)
      out.push_back(what + ": latency " + order[i] + " (" + std::to_string(a) + ") > " + order[i + 1] + " (" +
                    std::to_string(b) + ")");
  }
}

}  // namespace

std::vector<std::string> check_invariants(const ordered_json& summary) {
  std::vector<std::string> out;
  check_conservation("requests", summary["requests"], out);
  check_monotone("requests", summary["latency_ms"], out);
  std::uint64_t sent = 0, ok = 0, failed = 0;
  std::int64_t in_flight = 0;
  for (const auto& [name, op] : summary["operations"].items()) {
    check_conservation("operation " + name, op, out);
    check_monotone("operation " + name, op["latency_ms"], out);
    sent += u(op, "sent");
    ok += u(op, "ok");
    failed += u(op, "failed");
    in_flight += i64(op, "in_flight");
  }
  const auto& r = summary["requests"];
  if (sent != u(r, "sent") || ok != u(r, "ok") || failed != u(r, "failed") || in_flight != i64(r, "in_flight"))
    out.push_back("the operations' counts do not add up to the overall counts");

  for (const auto& [name, hop] : summary["hops"].items()) {
    const auto calls = u(hop, "calls"), hop_ok = u(hop, "ok"), hop_failed = u(hop, "failed");
    const auto open = i64(hop, "in_flight");
    if (open < 0 || calls != hop_ok + hop_failed + static_cast<std::uint64_t>(open))
      out.push_back("hop " + name + ": calls (" + std::to_string(calls) + ") != ok (" + std::to_string(hop_ok) +
                    ") + failed (" + std::to_string(hop_failed) + ") + in flight (" + std::to_string(open) + ")");
  }

  const double measured = summary["measured_s"].get<double>();
  for (const auto& [name, s] : summary["services"].items()) {
    const auto arrivals = u(s, "arrivals"), served = u(s, "served"), rejected = u(s, "rejected"),
               refused = u(s, "refused");
    const auto open = i64(s, "in_system_at_end");
    if (open < 0 || arrivals != served + rejected + refused + static_cast<std::uint64_t>(open))
      out.push_back("service " + name + ": arrivals (" + std::to_string(arrivals) + ") != served (" +
                    std::to_string(served) + ") + rejected (" + std::to_string(rejected) + ") + refused (" +
                    std::to_string(refused) + ") + in the tier at the end (" + std::to_string(open) + ")");
    // Little's law in its sample-path form, exact on every run: the area under the number
    // of requests in the tier (L * T) equals the sum of their times in it (lambda * W * T).
    const double area = s["littles_law"]["area_s"].get<double>();
    const double time_in_tier = s["littles_law"]["time_in_tier_s"].get<double>();
    if (std::fabs(area - time_in_tier) > 1e-6 * std::max(1.0, std::max(area, time_in_tier)))
      out.push_back("service " + name + ": Little's law does not hold: L * T = " + std::to_string(area) +
                    " request-s but the requests spent " + std::to_string(time_in_tier) + " s in the tier");
  }

  // Message queues: every message a group was given, since the start, is acknowledged,
  // waiting, in flight, dead-lettered or lost.
  for (const auto& [name, s] : summary["services"].items()) {
    if (!s.contains("queue")) continue;
    for (const auto& [topic, t] : s["queue"]["topics"].items())
      for (const auto& [group, g] : t["groups"].items()) {
        const auto& b = g["balance"];
        const auto published = u(b, "published");
        const auto terms = u(b, "acknowledged") + u(b, "waiting") + u(b, "in_flight") + u(b, "dead_lettered") + u(b, "lost");
        if (published != terms)
          out.push_back("queue " + name + ", topic " + topic + ", group " + group + ": published (" +
                        std::to_string(published) + ") != acknowledged + waiting + in flight + dead-lettered + lost (" +
                        std::to_string(terms) + ")");
      }
  }

  // The summary gives the horizon to six significant digits: up to half a unit of the
  // last one is rounding.
  const double horizon_rounding =
      measured > 0 ? 0.5 * std::pow(10.0, std::floor(std::log10(measured)) - 5.0) : 0.0;
  for (const auto& [name, c] : summary["components"].items()) {
    const double total =
        c["uptime_s"].get<double>() + c["downtime_s"].get<double>() + c.value("parked_s", 0.0);
    if (std::fabs(total - measured) > horizon_rounding + 1e-9 * std::max(1.0, measured))
      out.push_back("component " + name + ": up time + down time + parked time (" + std::to_string(total) +
                    " s) != measured horizon (" + std::to_string(measured) + " s)");
  }

  for (const auto& [host, kinds] : summary["utilization"].items())
    for (const auto& [kind, value] : kinds.items())
      if (value.get<double>() < 0.0 || value.get<double>() > 1.0)
        out.push_back("utilization of " + host + "." + kind + " outside [0, 1]: " + std::to_string(value.get<double>()));
  return out;
}

bool break_invariant_for_test(ordered_json& s, const std::string& name) {
  auto first = [](ordered_json& object) -> ordered_json& { return object.begin().value(); };
  if (name == "requests") {
    s["requests"]["sent"] = u(s["requests"], "sent") + 1;
  } else if (name == "operation") {
    auto& op = first(s["operations"]);
    op["ok"] = u(op, "ok") + 1;
  } else if (name == "hop") {
    if (s["hops"].empty()) return false;
    auto& hop = first(s["hops"]);
    hop["calls"] = u(hop, "calls") + 1;
  } else if (name == "service") {
    auto& svc = first(s["services"]);
    svc["arrivals"] = u(svc, "arrivals") + 1;
  } else if (name == "component") {
    auto& c = first(s["components"]);
    c["downtime_s"] = c["downtime_s"].get<double>() + 1.0;
  } else if (name == "utilization") {
    first(s["utilization"])["cpu"] = 1.5;
  } else if (name == "percentiles") {
    s["latency_ms"]["p99"] = s["latency_ms"]["p50"].get<double>() - 1.0;
  } else if (name == "littles_law") {
    auto& svc = first(s["services"]);
    svc["littles_law"]["area_s"] = svc["littles_law"]["area_s"].get<double>() * 2.0 + 1.0;
  } else if (name == "queue_balance") {
    for (auto& [service_name, svc] : s["services"].items()) {
      if (!svc.contains("queue")) continue;
      for (auto& [topic, t] : svc["queue"]["topics"].items())
        for (auto& [group, g] : t["groups"].items()) {
          g["balance"]["published"] = u(g["balance"], "published") + 1;
          return true;
        }
    }
    return false;
  } else {
    return false;
  }
  return true;
}

}  // namespace archsim

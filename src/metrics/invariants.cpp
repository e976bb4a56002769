#include "metrics/invariants.hpp"

#include <cstdint>

namespace archsim {

using nlohmann::ordered_json;

namespace {

void check_conservation(const std::string& what, const ordered_json& counts, std::vector<std::string>& out) {
  const auto sent = counts["sent"].get<std::uint64_t>();
  const auto ok = counts["ok"].get<std::uint64_t>();
  const auto failed = counts["failed"].get<std::uint64_t>();
  const auto in_flight = counts["in_flight"].get<std::uint64_t>();
  if (sent != ok + failed + in_flight)
    out.push_back(what + ": sent (" + std::to_string(sent) + ") != ok (" + std::to_string(ok) + ") + failed (" +
                  std::to_string(failed) + ") + in flight (" + std::to_string(in_flight) + ")");
}

void check_monotone(const std::string& what, const ordered_json& latency, std::vector<std::string>& out) {
  const char* order[] = {"min", "p50", "p90", "p99", "p999", "max"};
  for (int i = 0; i + 1 < 6; ++i) {
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
  std::uint64_t sent = 0, ok = 0, failed = 0, in_flight = 0;
  for (const auto& [name, op] : summary["operations"].items()) {
    check_conservation("operation " + name, op, out);
    check_monotone("operation " + name, op["latency_ms"], out);
    sent += op["sent"].get<std::uint64_t>();
    ok += op["ok"].get<std::uint64_t>();
    failed += op["failed"].get<std::uint64_t>();
    in_flight += op["in_flight"].get<std::uint64_t>();
  }
  const auto& r = summary["requests"];
  if (sent != r["sent"].get<std::uint64_t>() || ok != r["ok"].get<std::uint64_t>() ||
      failed != r["failed"].get<std::uint64_t>() || in_flight != r["in_flight"].get<std::uint64_t>())
    out.push_back("the operations' counts do not add up to the overall counts");
  for (const auto& [host, kinds] : summary["utilization"].items())
    for (const auto& [kind, value] : kinds.items())
      if (value.get<double>() < 0.0 || value.get<double>() > 1.0)
        out.push_back("utilization of " + host + "." + kind + " outside [0, 1]: " + std::to_string(value.get<double>()));
  return out;
}

}  // namespace archsim

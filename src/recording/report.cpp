#include "recording/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <sstream>

#include "core/files.hpp"
#include "core/text.hpp"
#include "scenario/catalog.hpp"
#include "version.hpp"

namespace archsim {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

ordered_json latency_ms(const Histogram& h) {
  ordered_json j;
  j["mean"] = tidy(h.mean() * 1000.0);
  j["p50"] = tidy(h.percentile(0.50) * 1000.0);
  j["p90"] = tidy(h.percentile(0.90) * 1000.0);
  j["p95"] = tidy(h.percentile(0.95) * 1000.0);
  j["p99"] = tidy(h.percentile(0.99) * 1000.0);
  j["p999"] = tidy(h.percentile(0.999) * 1000.0);
  j["max"] = tidy(h.max() * 1000.0);
  j["min"] = tidy(h.min() * 1000.0);
  return j;
}

ordered_json errors_by_cause(const OutcomeCounts& counts) {
  ordered_json j;
  for (int i = 1; i < kOutcomeCount; ++i) j[to_string(static_cast<Outcome>(i))] = counts.by_outcome[static_cast<std::size_t>(i)];
  return j;
}

double ratio(double num, double den) { return den > 0 ? num / den : 0.0; }

std::vector<std::string> operation_names(const Scenario& scenario) {
  std::vector<std::string> names;
  for (const auto& c : scenario.clients)
    for (const auto& op : c.operations) names.push_back(op.name);
  return names;
}

}  // namespace

bool window_is_down(const WindowRow& row, double success_ratio) {
  if (row.resolved == 0) return false;
  return static_cast<double>(row.succeeded) < success_ratio * static_cast<double>(row.resolved);
}

Downtime compute_downtime(const Scenario& scenario, const Recorder& recorder, double end_time_s) {
  Downtime d;
  const double w = recorder.window_s();
  const auto& rows = recorder.windows();
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double start = static_cast<double>(i) * w;
    if (start + 1e-12 < scenario.warmup_s || start >= end_time_s) continue;
    const double length = std::min(start + w, end_time_s) - start;
    d.measured_s += length;
    ++d.windows;
    if (window_is_down(rows[i], scenario.metrics.slo.success_ratio)) {
      d.downtime_s += length;
      ++d.down_windows;
    }
  }
  return d;
}

ordered_json availability_projection(const Downtime& d, double window_s) {
  constexpr double kYear = 365.25 * 86400.0;
  ordered_json j;
  const double a = d.availability();
  j["projected_downtime_per_year_s"] = tidy((1.0 - a) * kYear);
  if (a < 1.0) {
    j["nines"] = tidy(-std::log10(1.0 - a));
    j["nines_at_least"] = nullptr;
  } else {
    j["nines"] = nullptr;
    j["nines_at_least"] = d.measured_s > 0 ? tidy(std::log10(d.measured_s / window_s)) : 0.0;
  }
  return j;
}

// The run's cost usage with each host's running time: the measured period but its parked time.
CostUsage with_host_time(const RunFacts& facts) {
  CostUsage usage = facts.cost_usage;
  const Scenario& s = facts.scenario;
  usage.measured_s = facts.end_time_s - s.warmup_s;
  usage.requests = static_cast<double>(facts.recorder.overall().sent);
  usage.host_running_s.assign(s.hosts.size(), usage.measured_s);
  for (const ComponentStats& c : facts.recorder.components()) {
    if (c.kind != "host") continue;
    const int h = s.host_index(c.name);
    if (h < 0) continue;
    const auto totals = c.state.totals(facts.end_time_s);
    usage.host_running_s[static_cast<std::size_t>(h)] =
        usage.measured_s - totals[static_cast<std::size_t>(ComponentState::Parked)];
  }
  return usage;
}

ordered_json make_summary(const RunFacts& facts) {
  const Scenario& s = facts.scenario;
  const Recorder& r = facts.recorder;
  const double measured = facts.end_time_s - s.warmup_s;
  const RequestStats& all = r.overall();
  std::uint64_t in_flight = 0;
  for (auto n : facts.in_flight_by_operation) in_flight += n;

  ordered_json j;
  j["archsim_version"] = kVersion;
  j["format_version"] = kSummaryFormatVersion;
  j["scenario"] = s.name;
  j["scenario_file"] = s.file;
  j["seed"] = s.seed;
  j["duration_s"] = tidy(s.duration_s);
  j["warmup_s"] = tidy(s.warmup_s);
  j["measured_s"] = tidy(measured);
  j["drain_s"] = tidy(facts.drain_s);
  j["peak_threads"] = facts.peak_threads;
  j["offered_rps"] = tidy(ratio(static_cast<double>(all.sent), measured));
  j["throughput_rps"] = tidy(ratio(static_cast<double>(all.outcomes.ok()), measured));
  j["requests"] = {{"sent", all.sent}, {"ok", all.outcomes.ok()}, {"failed", all.outcomes.failed()}, {"in_flight", in_flight}};
  j["error_rate"] = tidy(ratio(static_cast<double>(all.outcomes.failed()), static_cast<double>(all.outcomes.total())));
  j["errors_by_cause"] = errors_by_cause(all.outcomes);
  j["latency_ms"] = latency_ms(all.latency);

  const Downtime down = compute_downtime(s, r, facts.end_time_s);
  j["availability"] = tidy(down.availability());
  j["request_availability"] = tidy(ratio(static_cast<double>(all.outcomes.ok()), static_cast<double>(all.outcomes.total())));
  j["downtime_s"] = tidy(down.downtime_s);
  const ordered_json projection = availability_projection(down, r.window_s());
  for (const auto& [k, v] : projection.items()) j[k] = v;
  ordered_json slo;
  slo["success_ratio"] = s.metrics.slo.success_ratio;
  slo["latency_ms"] = s.metrics.slo.latency_s ? ordered_json(tidy(*s.metrics.slo.latency_s * 1000.0)) : ordered_json(nullptr);
  slo["window_s"] = tidy(r.window_s());
  slo["windows"] = down.windows;
  slo["down_windows"] = down.down_windows;
  j["slo"] = slo;

  ordered_json ops = ordered_json::object();
  const auto names = operation_names(s);
  for (std::size_t i = 0; i < names.size(); ++i) {
    const RequestStats& op = r.operations()[i];
    ordered_json o;
    o["sent"] = op.sent;
    o["ok"] = op.outcomes.ok();
    o["failed"] = op.outcomes.failed();
    o["in_flight"] = i < facts.in_flight_by_operation.size() ? facts.in_flight_by_operation[i] : 0;
    o["throughput_rps"] = tidy(ratio(static_cast<double>(op.outcomes.ok()), measured));
    o["latency_ms"] = latency_ms(op.latency);
    o["errors_by_cause"] = errors_by_cause(op.outcomes);
    ops[names[i]] = o;
  }
  j["operations"] = ops;

  ordered_json services = ordered_json::object();
  for (std::size_t i = 0; i < s.services.size(); ++i) {
    const ServiceSpec& spec = s.services[i];
    const ServiceStats& st = r.services()[i];
    ordered_json o;
    o["kind"] = spec.kind->name();
    o["replicas"] = spec.replicas;
    o["workers_per_replica"] = spec.workers;
    o["arrivals"] = st.arrivals;
    // Visits per client request: the load one request puts on the tier (a cache's offload
    // shows as fewer database visits per request).
    o["arrivals_per_request"] = tidy(ratio(static_cast<double>(st.arrivals), static_cast<double>(all.sent)));
    o["in_system_at_end"] = st.open;
    o["served"] = st.outcomes.total();
    o["rejected"] = st.turned_away.count(Outcome::Rejected);
    o["refused"] = st.turned_away.count(Outcome::Refused);
    o["failed"] = st.outcomes.failed();
    o["throughput_rps"] = tidy(ratio(static_cast<double>(st.outcomes.ok()), measured));
    o["residence_ms"] = latency_ms(st.residence);
    o["queue_wait_ms"] = latency_ms(st.queue_wait);
    o["mean_in_system"] = tidy(ratio(st.in_system.integral(facts.end_time_s), measured));
    // Little's law on this very run: the area under the number of requests in the tier
    // equals the time they spent in it (those still inside counted up to the end).
    o["littles_law"] = {{"area_s", st.in_system.integral(facts.end_time_s)},
                        {"time_in_tier_s", st.residence.sum() + static_cast<double>(st.open) * facts.end_time_s -
                                               st.open_arrivals_sum}};
    const double busy = ratio(st.busy_workers.integral(facts.end_time_s), measured);
    o["mean_busy_workers"] = tidy(busy);
    // Of the workers in service on average: replicas crashed, booting or parked have none
    // (a pool scaled from 1 replica to 4 is not 400% busy).
    double replicas_up = static_cast<double>(spec.replicas);
    if (facts.service_extras.contains(spec.name) && facts.service_extras[spec.name].contains("replicas_up_fraction")) {
      double mean = 0, total = 0;
      const auto& fractions = facts.service_extras[spec.name]["replicas_up_fraction"];
      for (std::size_t k = 0; k < fractions.size(); ++k) {
        mean += static_cast<double>(k) * fractions[k].get<double>();
        total += fractions[k].get<double>();
      }
      if (total > 0) replicas_up = mean / total;
    }
    o["worker_utilization"] = tidy(ratio(busy, static_cast<double>(spec.workers) * replicas_up));
    if (facts.service_extras.contains(spec.name))
      for (const auto& [k, v] : facts.service_extras[spec.name].items()) o[k] = v;
    services[spec.name] = o;
  }
  j["services"] = services;

  ordered_json hops = ordered_json::object();
  for (std::size_t i = 0; i < s.hops.size(); ++i) {
    const HopStats& h = r.hops()[i];
    ordered_json o;
    o["calls"] = h.sent;
    o["ok"] = h.outcomes.ok();
    o["failed"] = h.outcomes.failed();
    o["in_flight"] = h.open;
    o["latency_ms"] = latency_ms(h.latency);
    hops[s.hops[i].name] = o;
  }
  j["hops"] = hops;

  // Per region (scenarios with regions): what the clients there see.
  if (s.platform.regions.size() > 1) {
    ordered_json regions = ordered_json::object();
    for (std::size_t g = 0; g < s.platform.regions.size(); ++g) {
      RequestStats region;
      ordered_json clients = ordered_json::array();
      std::size_t op = 0;
      for (const auto& c : s.clients) {
        const bool here = c.region == static_cast<int>(g);
        if (here) clients.push_back(c.name);
        for (std::size_t k = 0; k < c.operations.size(); ++k, ++op) {
          if (!here) continue;
          const RequestStats& stats = r.operations()[op];
          region.sent += stats.sent;
          region.outcomes.merge(stats.outcomes);
          region.latency.merge(stats.latency);
        }
      }
      ordered_json o;
      o["clients"] = clients;
      o["sent"] = region.sent;
      o["ok"] = region.outcomes.ok();
      o["failed"] = region.outcomes.failed();
      o["latency_ms"] = latency_ms(region.latency);
      regions[s.platform.regions[g]] = o;
    }
    j["regions"] = regions;
  }

  j["cost"] = cost_report(s, monthly_cost(s, with_host_time(facts)));

  ordered_json util = ordered_json::object();
  std::string top_name;
  double top_value = -1;
  for (const auto& u : facts.utilization) {
    util[u.host][u.kind] = tidy(u.utilization);
    if (u.utilization > top_value) {
      top_value = u.utilization;
      top_name = u.name;
    }
  }
  for (const auto& [name, o] : services.items()) {
    const double w = o["worker_utilization"].get<double>();
    if (w > top_value) {
      top_value = w;
      top_name = name + ".workers";
    }
  }
  j["utilization"] = util;

  ordered_json components = ordered_json::object();
  for (const ComponentStats& c : r.components()) {
    const auto t = c.state.totals(facts.end_time_s);
    ordered_json o;
    o["kind"] = c.kind;
    // Null for a component parked the whole run: it was never meant to be up.
    o["uptime_fraction"] = t[0] + t[1] > 0 ? ordered_json(tidy(t[1] / (t[0] + t[1]))) : ordered_json(nullptr);
    o["configured_availability"] = c.configured_availability ? ordered_json(tidy(*c.configured_availability)) : ordered_json(nullptr);
    o["failures"] = c.failures;
    o["uptime_s"] = t[1];
    o["downtime_s"] = t[0];
    o["parked_s"] = t[2];
    components[c.name] = o;
  }
  j["components"] = components;
  j["clients"] = facts.client_extras;
  std::uint64_t retries = 0;
  for (const auto& [name, c] : facts.client_extras.items())
    if (c.contains("retries")) retries += c["retries"].get<std::uint64_t>();
  j["retries"] = retries;
  j["bottleneck"] = {{"resource", top_name}, {"utilization", tidy(std::max(0.0, top_value))}};
  return j;
}

void write_timeseries_csv(const RunFacts& facts, std::ostream& out) {
  const Recorder& r = facts.recorder;
  out << std::setprecision(6);
  out << "t_s,sent,attempts,ok,errors";
  for (int i = 1; i < kOutcomeCount; ++i) out << ',' << to_string(static_cast<Outcome>(i));
  out << ",throughput_rps,success_ratio,down,mean_ms,p50_ms,p99_ms";
  const Gauges& gauges = r.gauges();
  for (std::size_t k = 0; k < gauges.size(); ++k) out << ',' << gauges.name(static_cast<int>(k));
  out << '\n';
  const double w = r.window_s();
  for (std::size_t i = 0; i < r.windows().size(); ++i) {
    const WindowRow& row = r.windows()[i];
    const double start = static_cast<double>(i) * w;
    if (start >= facts.end_time_s) break;
    const double length = std::min(start + w, facts.end_time_s) - start;
    out << tidy(start) << ',' << row.sent << ',' << row.attempts << ',' << row.completed.ok() << ','
        << row.completed.failed();
    for (int k = 1; k < kOutcomeCount; ++k) out << ',' << row.completed.by_outcome[static_cast<std::size_t>(k)];
    out << ',' << tidy(static_cast<double>(row.completed.ok()) / length);
    out << ',' << (row.resolved ? tidy(static_cast<double>(row.succeeded) / static_cast<double>(row.resolved)) : 1.0);
    out << ',' << (window_is_down(row, facts.scenario.metrics.slo.success_ratio) ? 1 : 0);
    out << ',' << tidy(row.latency_mean_s * 1000.0) << ',' << tidy(row.latency_p50_s * 1000.0) << ','
        << tidy(row.latency_p99_s * 1000.0);
    for (std::size_t k = 0; k < gauges.size(); ++k) out << ',' << (k < row.gauges.size() ? tidy(row.gauges[k]) : 0.0);
    out << '\n';
  }
}

void write_events_csv(const RunFacts& facts, std::ostream& out) {
  out << std::setprecision(9);
  out << "t_s,component,event,detail\n";
  for (const TimelineEvent& e : facts.recorder.events()) {
    out << e.t_s << ',' << e.component << ',' << e.event << ',' << csv_escape(e.detail) << '\n';
  }
}

void write_latency_histogram_csv(const RunFacts& facts, std::ostream& out) {
  out << std::setprecision(9);
  out << "series,lower_ms,upper_ms,count,cumulative_fraction\n";
  auto emit = [&out](const std::string& series, const Histogram& h) {
    std::uint64_t seen = 0;
    const auto total = static_cast<double>(h.count());
    h.for_each_bucket([&](double lo, double hi, std::uint64_t n) {
      seen += n;
      out << series << ',' << lo * 1000.0 << ',' << hi * 1000.0 << ',' << n << ','
          << static_cast<double>(seen) / total << '\n';
    });
  };
  emit("all", facts.recorder.overall().latency);
  const auto names = operation_names(facts.scenario);
  for (std::size_t i = 0; i < names.size(); ++i) emit(names[i], facts.recorder.operations()[i].latency);
}

void write_results(const RunFacts& facts, const ordered_json& summary, const std::string& directory) {
  fs::create_directories(directory);
  const fs::path dir = directory;
  // The run owns its folder's result files: an earlier run's go first (the summary first of
  // all, whose presence means the files are complete; a trace this run does not write; the
  // replications of an earlier run --replications, which readers would take for this run's).
  for (const char* stale : {"summary.json", "trace.json"}) fs::remove(dir / stale);
  remove_replication_folders(directory);
  write_result_file(dir / "timeseries.csv", [&](std::ostream& out) { write_timeseries_csv(facts, out); });
  write_result_file(dir / "latency_histogram.csv", [&](std::ostream& out) { write_latency_histogram_csv(facts, out); });
  write_result_file(dir / "events.csv", [&](std::ostream& out) { write_events_csv(facts, out); });
  // The summary last: its presence means the run's files are complete.
  write_summary(dir.string(), summary);
}

namespace {
std::string pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}
std::string lpad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}
}  // namespace

std::string summary_table(const ordered_json& j) {
  std::ostringstream out;
  out << "scenario    " << j["scenario"].get<std::string>() << "  (seed " << j["seed"].get<std::uint64_t>()
      << ", measured " << fixed_text(j["measured_s"].get<double>(), 1) << " s after "
      << fixed_text(j["warmup_s"].get<double>(), 1)
      << " s warm-up)\n";
  if (j.contains("replications"))
    out << "replications " << j["replications"]["count"].get<int>() << " (means; ± the half-width of the "
        << fixed_text(100.0 * j["replications"]["confidence"].get<double>(), 0) << "% confidence interval)\n";
  const auto count = [&j](const char* pointer) { return figure_text(j, pointer, j.contains("replications") ? 1 : 0); };
  out << "requests    sent " << count("/requests/sent") << "  ok " << count("/requests/ok") << "  failed "
      << count("/requests/failed") << "  in flight " << count("/requests/in_flight") << "\n";
  out << "throughput  " << figure_text(j, "/throughput_rps", 1) << " req/s (offered " << figure_text(j, "/offered_rps", 1)
      << ")   error rate " << figure_text(j, "/error_rate", 3, 100.0) << " %\n";
  out << "latency ms  mean " << figure_text(j, "/latency_ms/mean", 2) << "  p50 " << figure_text(j, "/latency_ms/p50", 2)
      << "  p90 " << figure_text(j, "/latency_ms/p90", 2) << "  p95 " << figure_text(j, "/latency_ms/p95", 2) << "  p99 "
      << figure_text(j, "/latency_ms/p99", 2) << "  p99.9 " << figure_text(j, "/latency_ms/p999", 2) << "  max "
      << figure_text(j, "/latency_ms/max", 2) << "\n";
  out << "downtime    " << figure_text(j, "/downtime_s", 1) << " s   availability "
      << figure_text(j, "/availability", 4, 100.0) << " %   ";
  if (j["nines"].is_null())
    out << "no down window (>= " << fixed_text(j["nines_at_least"].get<double>(), 1) << " nines measurable)\n";
  else
    out << figure_text(j, "/nines", 2) << " nines, " << figure_text(j, "/projected_downtime_per_year_s", 1, 1.0 / 3600.0)
        << " h/year projected\n";
  std::string causes;
  for (const auto& [cause, n] : j["errors_by_cause"].items())
    if (n.get<double>() > 0) causes += "  " + cause + " " + count(("/errors_by_cause/" + cause).c_str());
  if (!causes.empty()) out << "errors     " << causes << "\n";
  out << "bottleneck  " << j["bottleneck"]["resource"].get<std::string>() << " at "
      << figure_text(j, "/bottleneck/utilization", 1, 100.0) << " %\n";

  out << "\n" << pad("operation", 16) << lpad("req/s", 10) << lpad("p50 ms", 10) << lpad("p99 ms", 10)
      << lpad("errors", 9) << "\n";
  for (const auto& [name, o] : j["operations"].items())
    out << pad(name, 16) << lpad(fixed_text(o["throughput_rps"].get<double>(), 1), 10)
        << lpad(fixed_text(o["latency_ms"]["p50"].get<double>(), 2), 10)
        << lpad(fixed_text(o["latency_ms"]["p99"].get<double>(), 2), 10)
        << lpad(std::to_string(o["failed"].get<std::uint64_t>()), 9)
        << "\n";

  out << "\n" << pad("service", 16) << lpad("req/s", 10) << lpad("resid ms", 10) << lpad("queue ms", 10)
      << lpad("workers", 9) << lpad("rejected", 10) << "\n";
  for (const auto& [name, o] : j["services"].items())
    out << pad(name, 16) << lpad(fixed_text(o["throughput_rps"].get<double>(), 1), 10)
        << lpad(fixed_text(o["residence_ms"]["mean"].get<double>(), 2), 10)
        << lpad(fixed_text(o["queue_wait_ms"]["mean"].get<double>(), 2), 10)
        << lpad(fixed_text(100.0 * o["worker_utilization"].get<double>(), 0) + "%", 9)
        << lpad(std::to_string(o["rejected"].get<std::uint64_t>()), 10) << "\n";

  out << "\n" << pad("host", 16) << lpad("cpu", 8) << lpad("disk", 8) << lpad("nic up", 8) << lpad("nic dn", 8) << "\n";
  for (const auto& [host, o] : j["utilization"].items())
    out << pad(host, 16) << lpad(fixed_text(100.0 * o["cpu"].get<double>(), 1) + "%", 8)
        << lpad(fixed_text(100.0 * o["disk"].get<double>(), 1) + "%", 8)
        << lpad(fixed_text(100.0 * o["nic_up"].get<double>(), 1) + "%", 8)
        << lpad(fixed_text(100.0 * o["nic_down"].get<double>(), 1) + "%", 8) << "\n";
  return out.str();
}

}  // namespace archsim

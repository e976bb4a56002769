#include "results/comparison.hpp"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "core/text.hpp"
#include "results/replications.hpp"
#include "results/statistics.hpp"

namespace archsim {

using nlohmann::ordered_json;

namespace {

struct Figure {
  std::string label;
  std::string pointer;  // JSON pointer into summary.json
  int digits;           // decimals; -1: take the value as text
  double scale;
};

const Figure kFigures[] = {
    {"offered (req/s)", "/offered_rps", 1, 1.0},
    {"throughput (req/s)", "/throughput_rps", 1, 1.0},
    {"latency mean (ms)", "/latency_ms/mean", 2, 1.0},
    {"latency p50 (ms)", "/latency_ms/p50", 2, 1.0},
    {"latency p90 (ms)", "/latency_ms/p90", 2, 1.0},
    {"latency p95 (ms)", "/latency_ms/p95", 2, 1.0},
    {"latency p99 (ms)", "/latency_ms/p99", 2, 1.0},
    {"latency p99.9 (ms)", "/latency_ms/p999", 2, 1.0},
    {"latency max (ms)", "/latency_ms/max", 2, 1.0},
    {"error rate (%)", "/error_rate", 3, 100.0},
    {"downtime (s)", "/downtime_s", 1, 1.0},
    {"availability (%)", "/availability", 4, 100.0},
    {"nines", "/nines", 2, 1.0},
    {"downtime/year (h)", "/projected_downtime_per_year_s", 1, 1.0 / 3600.0},
    {"bottleneck", "/bottleneck/resource", -1, 1.0},
    {"bottleneck use (%)", "/bottleneck/utilization", 1, 100.0},
    {"cost/month (USD)", "/cost/per_month/total", 0, 1.0},
    {"cost/million requests (USD)", "/cost/per_million_requests", 3, 1.0},
};

// Characters on screen: "±" takes two bytes in UTF-8.
std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// Whether column `b`'s replications differ from column `a`'s at `pointer`.
std::optional<Difference> difference(const std::vector<ordered_json>& a, const std::vector<ordered_json>& b,
                                     const ordered_json& summary_a, const ordered_json& summary_b,
                                     const std::string& pointer) {
  if (a.size() < 2 || b.size() < 2) return std::nullopt;
  const auto x = values_at(a, pointer);
  const auto y = values_at(b, pointer);
  if (!x || !y) return std::nullopt;
  const bool same_seeds = a.size() == b.size() && summary_a.contains("replications") &&
                          summary_b.contains("replications") &&
                          summary_a["replications"]["seeds"] == summary_b["replications"]["seeds"];
  return same_seeds ? paired_difference(*x, *y) : welch_difference(*x, *y);
}

}  // namespace

Comparison compare_summaries(const std::vector<ordered_json>& summaries,
                             const std::vector<std::vector<ordered_json>>& replications) {
  const auto reps = [&replications](std::size_t i) -> const std::vector<ordered_json>& {
    static const std::vector<ordered_json> none;
    return i < replications.size() ? replications[i] : none;
  };
  bool marked = false, paired = false, unpaired = false;
  Comparison c;
  if (summaries.empty()) return c;
  for (const auto& s : summaries) {
    std::string name = s.value("scenario", "?");
    // Two runs of one scenario (different seeds or overrides) get distinct columns.
    int n = 2;
    const std::string base = name;
    while (std::find(c.columns.begin(), c.columns.end(), name) != c.columns.end()) name = base + "#" + std::to_string(n++);
    c.columns.push_back(name);
  }
  // The figures, with a row for every cause of error that any run has.
  std::vector<Figure> figures;
  for (const Figure& f : kFigures) {
    figures.push_back(f);
    if (f.pointer != "/error_rate") continue;
    std::vector<std::string> causes;
    for (const auto& s : summaries)
      for (const auto& [cause, count] : s["errors_by_cause"].items())
        if (count.is_number() && count.get<double>() > 0 &&
            std::find(causes.begin(), causes.end(), cause) == causes.end())
          causes.push_back(cause);
    for (const auto& [cause, count] : summaries.front()["errors_by_cause"].items())  // archsim's order first
      if (std::find(causes.begin(), causes.end(), cause) != causes.end())
        figures.push_back({"errors: " + cause, "/errors_by_cause/" + cause, 0, 1.0});
    for (const auto& cause : causes)
      if (!summaries.front()["errors_by_cause"].contains(cause))
        figures.push_back({"errors: " + cause, "/errors_by_cause/" + cause, 0, 1.0});
  }
  // Per service: its visits per request, and a cache's hit ratio and stale hits.
  std::vector<std::string> services;
  for (const auto& s : summaries)
    if (s.contains("services") && s["services"].is_object())
      for (const auto& [name, service] : s["services"].items())
        if (std::find(services.begin(), services.end(), name) == services.end()) services.push_back(name);
  for (const auto& name : services) {
    figures.push_back({name + " visits/request", "/services/" + name + "/arrivals_per_request", 3, 1.0});
    const auto has = [&summaries, &name](const char* section) {
      return std::any_of(summaries.begin(), summaries.end(), [&](const ordered_json& s) {
        return s.contains("services") && s["services"].contains(name) && s["services"][name].contains(section);
      });
    };
    if (has("cache")) {
      figures.push_back({name + " hit ratio (%)", "/services/" + name + "/cache/hit_ratio", 1, 100.0});
      figures.push_back({name + " stale hits (%)", "/services/" + name + "/cache/stale_read_fraction", 3, 100.0});
    }
    if (has("cdn")) {
      figures.push_back({name + " hit ratio (%)", "/services/" + name + "/cdn/hit_ratio", 1, 100.0});
      figures.push_back({name + " origin egress (GB)", "/services/" + name + "/cdn/origin_egress_gb", 2, 1.0});
      figures.push_back({name + " edge storage (GB)", "/services/" + name + "/cdn/edge_storage_gb_mean", 3, 1.0});
    }
    if (has("consumer")) {
      // Each notification flow's end-to-end time: what the customer waits for the outcome.
      std::vector<std::string> flows;
      for (const auto& s : summaries) {
        const ordered_json::json_pointer ptr("/services/" + name + "/consumer/end_to_end_ms");
        if (!s.contains(ptr)) continue;
        for (const auto& [flow, times] : s.at(ptr).items())
          if (std::find(flows.begin(), flows.end(), flow) == flows.end()) flows.push_back(flow);
      }
      for (const auto& flow : flows) {
        const std::string at = "/services/" + name + "/consumer/end_to_end_ms/" + flow;
        figures.push_back({flow + " end-to-end p50 (ms)", at + "/p50", 1, 1.0});
        figures.push_back({flow + " end-to-end p99 (ms)", at + "/p99", 1, 1.0});
      }
      figures.push_back({name + " duplicates delivered", "/services/" + name + "/consumer/duplicates_delivered", 0, 1.0});
    }
  }
  // Per client operation: its own latency (a checkout that now only queues its work).
  std::vector<std::string> operations;
  for (const auto& s : summaries)
    if (s.contains("operations") && s["operations"].is_object())
      for (const auto& [name, op] : s["operations"].items())
        if (std::find(operations.begin(), operations.end(), name) == operations.end()) operations.push_back(name);
  if (operations.size() > 1)
    for (const auto& name : operations) {
      figures.push_back({name + " p50 (ms)", "/operations/" + name + "/latency_ms/p50", 2, 1.0});
      figures.push_back({name + " p99 (ms)", "/operations/" + name + "/latency_ms/p99", 2, 1.0});
    }
  // Per region (scenarios with regions): what its clients see.
  std::vector<std::string> regions;
  for (const auto& s : summaries)
    if (s.contains("regions") && s["regions"].is_object())
      for (const auto& [name, region] : s["regions"].items())
        if (region.value("sent", 0) > 0 && std::find(regions.begin(), regions.end(), name) == regions.end())
          regions.push_back(name);  // a region without clients (a provider's) has no latency
  for (const auto& name : regions) {
    figures.push_back({name + " p50 (ms)", "/regions/" + name + "/latency_ms/p50", 2, 1.0});
    figures.push_back({name + " p99 (ms)", "/regions/" + name + "/latency_ms/p99", 2, 1.0});
  }
  for (const Figure& f : figures) {
    c.row_labels.push_back(f.label);
    std::vector<std::string> row;
    for (std::size_t i = 0; i < summaries.size(); ++i) {
      const ordered_json::json_pointer ptr(f.pointer);
      const ordered_json& s = summaries[i];
      std::string cell = "-";
      if (s.contains(ptr)) {
        const auto& v = s.at(ptr);
        if (v.is_null() && f.pointer == "/nines" && s.contains("nines_at_least") &&
            s["nines_at_least"].is_number())
          cell = ">=" + fixed_text(s["nines_at_least"].get<double>(), 1);
        else if (v.is_number())
          cell = figure_text(s, f.pointer, f.digits < 0 ? 0 : f.digits, f.scale);
        else if (v.is_string())
          cell = v.get<std::string>();
        // The JSON holds what the table shows, in the label's unit (percent, hours).
        const auto in_unit = [&f](double x) { return f.scale == 1.0 ? x : tidy(x * f.scale); };
        const ordered_json shown = v.is_number() ? ordered_json(in_unit(v.get<double>())) : v;
        c.raw[c.columns[i]][f.label] = shown;
        if (v.is_null() && f.pointer == "/nines" && s.contains("nines_at_least") && s["nines_at_least"].is_number())
          c.raw[c.columns[i]][f.label] = {{"at_least", s["nines_at_least"]}};
        if (const auto interval = interval_at(s, f.pointer)) {
          ordered_json o = {{"mean", shown}, {"half_width", in_unit(interval->half_width)}};
          if (i > 0)
            if (const auto d = difference(reps(0), reps(i), summaries[0], s, f.pointer)) {
              o["difference_from_first"] = in_unit(d->mean);
              o["difference_half_width"] = in_unit(d->half_width);
              o["differs_from_first"] = d->significant;
              o["test"] = d->paired ? "paired t" : "Welch t";
              (d->paired ? paired : unpaired) = true;
              if (d->significant) {
                cell += " *";
                marked = true;
              }
            }
          c.raw[c.columns[i]][f.label] = o;
        }
      }
      row.push_back(cell);
    }
    c.cells.push_back(row);
  }
  if (summaries.front().contains("replications"))
    c.notes.push_back("mean ± half-width of the 95% confidence interval over " +
                      std::to_string(summaries.front()["replications"]["count"].get<int>()) + " replications");
  if (paired || unpaired) {
    const std::string test = std::string(paired ? "paired t test on common random numbers" : "") +
                             (paired && unpaired ? "; " : "") + (unpaired ? "Welch t test" : "");
    c.notes.push_back(marked ? "* differs from the first column by more than the noise (95%, " + test + ")"
                             : "no figure differs from the first column by more than the noise (95%, " + test + ")");
  }
  return c;
}

std::string render(const Comparison& c, TableFormat format) {
  std::ostringstream out;
  switch (format) {
    case TableFormat::Json:
      return c.raw.dump(2) + "\n";
    case TableFormat::Csv:
      out << "figure";
      for (const auto& col : c.columns) out << ',' << csv_escape(col);
      out << '\n';
      for (std::size_t r = 0; r < c.row_labels.size(); ++r) {
        out << csv_escape(c.row_labels[r]);
        for (const auto& cell : c.cells[r]) out << ',' << csv_escape(cell);
        out << '\n';
      }
      return out.str();
    case TableFormat::Markdown: {
      // A "|" in a name would end its cell.
      const auto cell_text = [](const std::string& text) {
        std::string escaped;
        for (const char ch : text) escaped += ch == '|' ? std::string("\\|") : std::string(1, ch);
        return escaped;
      };
      out << "| figure |";
      for (const auto& col : c.columns) out << ' ' << cell_text(col) << " |";
      out << "\n|---|";
      for (std::size_t i = 0; i < c.columns.size(); ++i) out << "---:|";
      out << '\n';
      for (std::size_t r = 0; r < c.row_labels.size(); ++r) {
        out << "| " << cell_text(c.row_labels[r]) << " |";
        for (const auto& cell : c.cells[r]) out << ' ' << cell_text(cell) << " |";
        out << '\n';
      }
      for (const auto& note : c.notes) out << '\n' << note << '\n';
      return out.str();
    }
    case TableFormat::Table: {
      std::size_t label_width = 6;
      for (const auto& l : c.row_labels) label_width = std::max(label_width, l.size());
      std::vector<std::size_t> widths;
      for (std::size_t i = 0; i < c.columns.size(); ++i) {
        std::size_t w = c.columns[i].size();
        for (const auto& row : c.cells) w = std::max(w, display_width(row[i]));
        widths.push_back(w);
      }
      out << std::string(label_width, ' ');
      for (std::size_t i = 0; i < c.columns.size(); ++i)
        out << "  " << std::string(widths[i] - c.columns[i].size(), ' ') << c.columns[i];
      out << '\n';
      for (std::size_t r = 0; r < c.row_labels.size(); ++r) {
        out << c.row_labels[r] << std::string(label_width - c.row_labels[r].size(), ' ');
        for (std::size_t i = 0; i < c.columns.size(); ++i)
          out << "  " << std::string(widths[i] - display_width(c.cells[r][i]), ' ') << c.cells[r][i];
        out << '\n';
      }
      for (const auto& note : c.notes) out << note << '\n';
      return out.str();
    }
  }
  return out.str();
}

}  // namespace archsim

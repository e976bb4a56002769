#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands/commands.hpp"
#include "cli/commands/run_options.hpp"

namespace archsim::cli {

namespace {

struct Latency {
  const char* operation;
  double ns;
};

// The classic numbers every engineer should know; archsim's default hardware profile is
// built from the network, memory and disk lines.
const Latency kLatencies[] = {
    {"L1 cache reference", 0.5},
    {"Branch mispredict", 5},
    {"L2 cache reference", 7},
    {"Mutex lock/unlock", 100},
    {"Main memory reference", 100},
    {"Compress 1 KB with a fast codec", 10e3},
    {"Send 2 KB over a 1 Gbps network", 20e3},
    {"Read 1 MB sequentially from memory", 250e3},
    {"Round trip within the same datacenter", 500e3},
    {"Disk seek", 10e6},
    {"Read 1 MB sequentially from the network", 10e6},
    {"Read 1 MB sequentially from disk", 30e6},
    {"Round trip California - Netherlands", 150e6},
};

std::string duration_text(double seconds) {
  char text[64];
  if (seconds >= 86400 * 2)
    std::snprintf(text, sizeof text, "%.2f days", seconds / 86400);
  else if (seconds >= 3600)
    std::snprintf(text, sizeof text, "%.2f hours", seconds / 3600);
  else if (seconds >= 60)
    std::snprintf(text, sizeof text, "%.2f minutes", seconds / 60);
  else if (seconds >= 1)
    std::snprintf(text, sizeof text, "%.2f s", seconds);
  else
    std::snprintf(text, sizeof text, "%.2f ms", seconds * 1000);
  return text;
}

std::string time_text(double ns) {
  char text[64];
  if (ns >= 1e6)
    std::snprintf(text, sizeof text, "%g ms", ns / 1e6);
  else if (ns >= 1e3)
    std::snprintf(text, sizeof text, "%g us", ns / 1e3);
  else
    std::snprintf(text, sizeof text, "%g ns", ns);
  return text;
}

constexpr double kDay = 86400.0;
constexpr double kYear = 365.25 * kDay;

void print_downtime_row(double availability_percent) {
  const double down = 1.0 - availability_percent / 100.0;
  char label[32];
  std::snprintf(label, sizeof label, "%.6g %%", availability_percent);
  std::printf("%-12s %16s %16s %16s %16s %8.2f\n", label, duration_text(down * kDay).c_str(),
              duration_text(down * 7 * kDay).c_str(), duration_text(down * kYear / 12).c_str(),
              duration_text(down * kYear).c_str(), down > 0 ? 0.0 - std::log10(down) : INFINITY);
}

}  // namespace

Command add_numbers_command(CLI::App& app) {
  auto availability = std::make_shared<std::vector<double>>();
  CLI::App* sub = app.add_subcommand(
      "numbers", "The latency, availability and size tables archsim's default hardware is built from");
  sub->add_option("--availability", *availability, "Convert an availability in percent (e.g. 99.95) to downtime")
      ->check(real_number(0.0, 100.0, true));
  return [availability]() {
    const char* header = "%-12s %16s %16s %16s %16s %8s\n";
    if (!availability->empty()) {
      std::printf(header, "availability", "down per day", "per week", "per month", "per year", "nines");
      for (double a : *availability) print_downtime_row(a);
      return kExitOk;
    }
    std::printf("Latencies (the default profile uses the network, memory and disk lines)\n");
    for (const auto& l : kLatencies) std::printf("  %-42s %12s\n", l.operation, time_text(l.ns).c_str());
    std::printf("\nAvailability and downtime (a month is 1/12 year)\n");
    std::printf(header, "availability", "down per day", "per week", "per month", "per year", "nines");
    for (double a : {90.0, 99.0, 99.9, 99.95, 99.99, 99.999, 99.9999}) print_downtime_row(a);
    std::printf("\nPowers of two\n");
    const char* names[] = {"Kilobyte (KB)", "Megabyte (MB)", "Gigabyte (GB)", "Terabyte (TB)", "Petabyte (PB)"};
    const char* approx[] = {"a thousand", "a million", "a billion", "a trillion", "a quadrillion"};
    for (int i = 0; i < 5; ++i)
      std::printf("  2^%-3d %20.0f  ~ %-14s %s\n", 10 * (i + 1), std::ldexp(1.0, 10 * (i + 1)), approx[i], names[i]);
    return kExitOk;
  };
}

}  // namespace archsim::cli

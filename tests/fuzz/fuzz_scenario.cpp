// Fuzz target over everything archsim parses from users: scenario documents (schema and
// semantic validation, typing), --set overrides, SLO expressions and --vary ranges. The
// first byte picks which; the rest is the input. Bad input must end in an InputError:
// any other exception, crash, hang or runaway allocation is a finding.
//
// Built with libFuzzer by scripts/fuzz (clang); built as fuzz_replay by the normal build,
// which runs the saved findings in tests/fuzz/regressions/ as a regression test.
#include <cstddef>
#include <cstdint>
#include <string>

#include "kinds/catalog.hpp"
#include "results/result_files.hpp"
#include "scenario/builder.hpp"
#include "scenario/diagnostics.hpp"
#include "scenario/document.hpp"
#include "study/sweep_points.hpp"

namespace {
const char* kBase = R"({
  "description": "fuzz base", "duration_s": 10,
  "hosts": {"node1": {"cores": 2}},
  "services": {
    "lb": {"kind": "load_balancer", "host": {"cores": 1}, "backend": "web", "policy": "consistent_hash"},
    "web": {"kind": "app_server", "host": "node1", "replicas": 2, "workers": 4,
            "connection_pools": {"db": {"size": 2}},
            "endpoints": {"home": {"steps": [{"cpu_ms": {"dist": "lognormal", "mean": 2, "p99": 9}},
                                              {"parallel": [{"call": "db", "endpoint": "get"}, {"cpu_ms": 1}]}]}}},
    "db": {"kind": "database", "host": {"disk": "ssd"}, "replicas": 2, "max_connections": 8,
           "buffer_cache_hit_ratio": 0.5, "replication": {"mode": "semi_sync"},
           "endpoints": {"get": {"steps": [{"read_kb": 8}]}, "put": {"access": "write", "steps": [{"write_kb": 1}]}}}
  },
  "clients": {"users": {"model": "open", "target": "lb", "rate_rps": 10, "retry": {"budget_ratio": 0.1},
                        "operations": {"home": {"weight": 1, "endpoint": "home"}}}},
  "faults": {"events": [{"at_s": 1, "crash": {"replica": "web-1"}, "duration_s": 2}],
             "random": [{"host": "node1", "mtbf_s": 100, "mttr_s": 5}]}
})";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 4;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (mode) {
      case 0:
        archsim::build_scenario(archsim::Document::from_text(text, "fuzz.json"), archsim::kinds::catalog());
        break;
      case 1: {
        archsim::Document doc = archsim::Document::from_text(kBase, "base.json");
        const auto eq = text.find('=');
        doc.set(text.substr(0, eq), eq == std::string::npos ? "" : text.substr(eq + 1));
        archsim::build_scenario(doc, archsim::kinds::catalog());
        break;
      }
      case 2:
        archsim::parse_slo(text);
        break;
      case 3:
        archsim::parse_variation(text);
        break;
    }
  } catch (const archsim::InputError&) {
    // the expected way to reject bad input
  }
  return 0;
}

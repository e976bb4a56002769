#include "core/thread_limit.hpp"

#include <cstdlib>
#include <fstream>
#include <string>

namespace archsim {

namespace {
constexpr std::size_t kMappingsPerThread = 2;  // the stack and its guard page
// Mappings the process needs besides the stacks: libraries, heap arenas, files.
constexpr std::size_t kOtherMappings = 2000;
constexpr std::size_t kDefaultMaxMapCount = 65530;
}  // namespace

std::size_t simulated_thread_limit() {
  static const std::size_t limit = [] {
    // A test hook: a small budget that a test can reach in a short run.
    if (const char* forced = std::getenv("ARCHSIM_THREAD_LIMIT")) {
      char* end = nullptr;
      const unsigned long long value = std::strtoull(forced, &end, 10);
      if (end != forced && *end == '\0' && value > 0) return static_cast<std::size_t>(value);
    }
    std::size_t max_maps = kDefaultMaxMapCount;
    std::ifstream in("/proc/sys/vm/max_map_count");
    if (std::size_t value = 0; in >> value) max_maps = value;
    return max_maps > kOtherMappings ? (max_maps - kOtherMappings) / kMappingsPerThread : 0;
  }();
  return limit;
}

}  // namespace archsim

#pragma once
// How a request (or one call of it) ended, from the point of view of whoever waited for
// it. Shared by the scenario (retry causes), the engine (replies carry one), the recorder
// (errors by cause) and the results.
#include <cstdint>
#include <optional>
#include <string>

namespace archsim {

enum class Outcome : std::uint8_t {
  Ok,
  Timeout,      // no reply before the caller's deadline
  Rejected,     // a server's accept queue was full
  Refused,      // connection refused: the service process is down
  Reset,        // connection reset: the process died while serving the request
  PoolTimeout,  // no free connection in the caller's pool in time
  Unavailable,  // no replica of the service could be reached
  Failed,       // any other failure
  QueueFull,    // a message queue's topic was at its max_depth
};
constexpr int kOutcomeCount = 9;

// "ok", "timeout", ... as in summary.json and the scenario's retry causes.
const char* to_string(Outcome outcome);
std::optional<Outcome> outcome_from_string(const std::string& name);

}  // namespace archsim

#include "core/outcome.hpp"

namespace archsim {

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::Ok:
      return "ok";
    case Outcome::Timeout:
      return "timeout";
    case Outcome::Rejected:
      return "rejected";
    case Outcome::Refused:
      return "refused";
    case Outcome::Reset:
      return "reset";
    case Outcome::PoolTimeout:
      return "pool_timeout";
    case Outcome::Unavailable:
      return "unavailable";
    case Outcome::Failed:
      return "failed";
    case Outcome::QueueFull:
      return "queue_full";
  }
  return "?";
}

std::optional<Outcome> outcome_from_string(const std::string& name) {
  for (int o = 0; o < kOutcomeCount; ++o)
    if (name == to_string(static_cast<Outcome>(o))) return static_cast<Outcome>(o);
  return std::nullopt;
}

}  // namespace archsim

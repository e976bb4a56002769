#pragma once
// Accounting identities every run must satisfy, checked on the summary before it is
// written. A broken one is an archsim bug, reported as an internal error (exit 1), never
// a number printed as if it were right.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

// Returns one message per broken invariant (empty when all hold):
//  - requests: sent = ok + failed + in flight, overall and per operation, and the
//    operations add up to the overall counts;
//  - latency percentiles are monotone (min <= p50 <= p90 <= p99 <= p999 <= max);
//  - every utilisation lies in [0, 1].
std::vector<std::string> check_invariants(const nlohmann::ordered_json& summary);

}  // namespace archsim

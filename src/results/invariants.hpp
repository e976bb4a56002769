#pragma once
// Accounting identities every run must satisfy, checked on the summary before any result
// file is written. A broken one is an archsim bug, reported as an internal error (exit
// status 1), never a number printed as if it were right.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace archsim {

// Returns one message per broken invariant (empty when all hold):
//  - conservation: requests sent = ok + failed + in flight, overall and per operation, and
//    the operations add up to the overall counts; per hop, calls = ok + failed + in flight;
//    per tier, arrivals = served + rejected + refused + still in the tier at the end;
//  - per component (host, replica): up time + down time + parked time = the measured
//    horizon;
//  - every utilisation lies in [0, 1];
//  - latency percentiles are monotone (min <= p50 <= p90 <= p99 <= p999 <= max);
//  - Little's law per tier, in its sample-path form: over the measured period, the area
//    under the number of requests in the tier (L * T) equals the time they spent in it
//    (lambda * W * T, those still inside counted up to the end), to rounding;
//  - per message queue, topic and consumer group: published = acknowledged + waiting + in
//    flight + dead-lettered + lost.
std::vector<std::string> check_invariants(const nlohmann::ordered_json& summary);

// For the tests of the checks above: corrupts `summary` so that invariant `name` breaks
// (requests, operation, hop, service, component, utilization, percentiles, littles_law,
// queue_balance).
// Returns false for an unknown name.
bool break_invariant_for_test(nlohmann::ordered_json& summary, const std::string& name);

}  // namespace archsim

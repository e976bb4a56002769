#pragma once
// A population of clients, simulated by one event-driven actor on its own host (so that
// a million users cost a table entry each, not an actor each):
//  - open loop: requests arrive as a (possibly time-varying) Poisson process, whatever
//    happens to earlier requests;
//  - closed loop: N users each send a request, wait for its outcome, think, and repeat.
// Each request picks an operation from the mix, goes to a replica of the target service,
// and fails with cause "timeout" if no reply comes within the client's timeout (a late
// reply is then ignored, as a browser that gave up ignores it).
#include <cstdint>
#include <limits>
#include <queue>
#include <unordered_map>
#include <vector>

#include <simgrid/s4u.hpp>

#include "components/arrival_process.hpp"
#include "components/operation_mix.hpp"
#include "core/rng.hpp"
#include "engine/inbox.hpp"
#include "scenario/scenario.hpp"

namespace archsim {

class Simulation;

class ClientPopulation {
 public:
  // `first_operation`: global index of this population's first operation (for metrics).
  ClientPopulation(Simulation& sim, const ClientSpec& spec, int first_operation, sg4::Host* host);

  void start();
  // Requests sent after the warm-up and still waiting for an outcome, per operation.
  std::vector<std::uint64_t> in_flight_measured_by_operation() const;
  std::uint64_t in_flight() const { return pending_.size(); }
  const ClientSpec& spec() const { return spec_; }

 private:
  struct Pending {
    int op;         // index in spec_.operations
    int user;       // closed loop: who sent it; -1 for open loop
    double sent_at;
  };
  enum class TimerKind : std::uint8_t { Deadline, UserWakes };
  struct Timer {
    double at;
    TimerKind kind;
    std::uint64_t id;  // request id (Deadline) or user index (UserWakes)
    bool operator>(const Timer& other) const { return at > other.at || (at == other.at && id > other.id); }
  };

  void main_loop();
  void send_request(int user);
  void end_request(std::uint64_t id, Outcome outcome);
  void handle_timer(const Timer& timer);

  Simulation& sim_;
  const ClientSpec& spec_;
  int first_operation_;
  sg4::Host* host_;
  RandomStream rng_;
  OperationMix mix_;
  ArrivalProcess arrivals_;
  Inbox inbox_;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  double next_arrival_ = std::numeric_limits<double>::infinity();
};

}  // namespace archsim

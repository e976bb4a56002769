#pragma once
// What archsim keeps about one simulated host, attached to the SimGrid host as its user
// data: work counters for utilisation (CPU flops when an execution completes, NIC bytes
// when a message leaves or reaches the host), the capacity the host actually offered over
// time (zero while it is down, lower while degraded), and its side of a network partition.
// Client hosts and the control host carry none.
#include <simgrid/s4u/Host.hpp>

namespace archsim {

// The integral over time of a piecewise-constant rate.
class RateIntegral {
 public:
  explicit RateIntegral(double rate = 0) : rate_(rate) {}
  void set(double now, double rate) {
    total_ += rate_ * (now - last_);
    last_ = now;
    rate_ = rate;
  }
  double at(double now) const { return total_ + rate_ * (now - last_); }
  double rate() const { return rate_; }

 private:
  double rate_;
  double last_ = 0;
  double total_ = 0;
};

struct HostData {
  // Whether the host is up. Set by the fault injector *before* it turns the SimGrid host
  // off (and after it turns it back on): actors that run later in the same scheduling
  // round must not start a transfer to a host whose turning off is already decided, or
  // SimGrid aborts. So while it is true, the SimGrid host is on (see up()).
  bool alive = true;
  double cpu_flops = 0;
  double nic_out_bytes = 0;
  double nic_in_bytes = 0;
  RateIntegral cpu_capacity;   // flops per second available
  RateIntegral disk_capacity;  // disk seconds per second available
  int partition_group = -1;    // -1: reaches every host
  bool connected = true;       // false while its NIC is cut

  static HostData* of(const simgrid::s4u::Host* host) { return host->get_data<HostData>(); }
};

// Whether messages can be sent to `host` (hosts without data never fail).
inline bool reachable(const simgrid::s4u::Host* host) {
  const HostData* data = HostData::of(host);
  return data == nullptr || data->alive;
}

// Whether `host` is up: its SimGrid host is on and not about to be turned off. For a host
// with data, `alive` says it alone (it is true only while the SimGrid host is on), which
// spares a read of SimGrid's host, out of the processor's caches in a fleet.
inline bool up(const simgrid::s4u::Host* host) {
  const HostData* data = HostData::of(host);
  return data ? data->alive : host->is_on();
}

// Whether a partition separates the two hosts (hosts without data are never separated).
inline bool partitioned(const simgrid::s4u::Host* a, const simgrid::s4u::Host* b) {
  const HostData* x = HostData::of(a);
  const HostData* y = HostData::of(b);
  return x && y && x->partition_group >= 0 && y->partition_group >= 0 && x->partition_group != y->partition_group;
}

// Whether the host's NIC is connected (hosts without data always are).
inline bool connected(const simgrid::s4u::Host* host) {
  const HostData* data = HostData::of(host);
  return data == nullptr || data->connected;
}

}  // namespace archsim

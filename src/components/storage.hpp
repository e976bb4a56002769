#pragma once
// A host's storage device. The device (see Platform: a resource whose capacity is one
// second of disk time per second) is shared fairly by the I/Os in service, but a disk has
// positioning time and serves only a few requests at a time, so archsim puts a FIFO queue
// with `parallelism` slots in front of it (1 for a disk arm, tens for an SSD) and charges
// every I/O its seek time as device time: the device is busy while it seeks, as a real disk
// is. An I/O of B bytes thus takes seek + B / bandwidth when alone.
//
// Owned by the Simulation; used by worker actors of the host.
#include <vector>

#include <simgrid/s4u.hpp>

#include "scenario/scenario.hpp"

namespace archsim {

namespace sg4 = simgrid::s4u;

class Storage {
 public:
  Storage(sg4::Host* device, const DiskSpec& spec);

  // Blocking, from an actor: waits for a slot, then performs the I/O.
  void read(double bytes);
  void write(double bytes);

  // Time during which at least one I/O was in service, up to `now` (for utilisation, like
  // iostat's %util).
  double busy_time(double now) const;
  // The actors `pids` were killed (their process crashed): free the slots they held.
  void forfeit(const std::vector<long>& pids);
  // The host crashed: every I/O died with it.
  void reset();
  std::uint64_t operations() const { return operations_; }
  const DiskSpec& spec() const { return spec_; }

 private:
  void perform(double device_seconds);

  sg4::Host* device_;
  DiskSpec spec_;
  sg4::SemaphorePtr slots_;
  std::vector<long> holders_;  // actors holding a slot
  int in_service_ = 0;
  double busy_since_ = 0;
  double busy_total_ = 0;
  std::uint64_t operations_ = 0;
};

}  // namespace archsim

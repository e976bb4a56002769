#include "components/storage.hpp"

#include <algorithm>

#include "platform/platform.hpp"

namespace archsim {

Storage::Storage(sg4::Host* device, const DiskSpec& spec)
    : device_(device), spec_(spec), slots_(sg4::Semaphore::create(static_cast<unsigned>(spec.parallelism))) {}

void Storage::perform(double device_seconds) {
  slots_->acquire();
  const long self = sg4::this_actor::get_pid();
  holders_.push_back(self);
  if (in_service_++ == 0) busy_since_ = sg4::Engine::get_clock();
  ++operations_;
  // If the process or host dies mid-I/O this actor is killed here: forfeit() or reset()
  // then gives its slot back.
  sg4::this_actor::exec_init(device_seconds * Platform::kDiskUnitsPerSecond)->set_host(device_)->wait();
  holders_.erase(std::find(holders_.begin(), holders_.end(), self));
  if (--in_service_ == 0) busy_total_ += sg4::Engine::get_clock() - busy_since_;
  slots_->release();
}

void Storage::forfeit(const std::vector<long>& pids) {
  for (long pid : pids) {
    auto it = std::find(holders_.begin(), holders_.end(), pid);
    if (it == holders_.end()) continue;
    holders_.erase(it);
    if (--in_service_ == 0) busy_total_ += sg4::Engine::get_clock() - busy_since_;
    slots_->release();
  }
}

void Storage::reset() {
  if (in_service_ > 0) busy_total_ += sg4::Engine::get_clock() - busy_since_;
  in_service_ = 0;
  holders_.clear();
  slots_ = sg4::Semaphore::create(static_cast<unsigned>(spec_.parallelism));
}

void Storage::read(double bytes) { perform(spec_.seek_s + bytes / spec_.read_bytes_per_s); }

void Storage::write(double bytes) { perform(spec_.seek_s + bytes / spec_.write_bytes_per_s); }

double Storage::busy_time(double now) const {
  return busy_total_ + (in_service_ > 0 ? now - busy_since_ : 0.0);
}

}  // namespace archsim

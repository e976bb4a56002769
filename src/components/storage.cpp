#include "components/storage.hpp"

namespace archsim {

Storage::Storage(sg4::Disk* disk, const DiskSpec& spec)
    : disk_(disk), spec_(spec), slots_(sg4::Semaphore::create(static_cast<unsigned>(spec.parallelism))) {}

void Storage::begin() {
  if (in_service_++ == 0) busy_since_ = sg4::Engine::get_clock();
  ++operations_;
}

void Storage::end() {
  if (--in_service_ == 0) busy_total_ += sg4::Engine::get_clock() - busy_since_;
}

void Storage::read(double bytes) {
  slots_->acquire();
  begin();
  // If the host dies mid-I/O the actor is killed here; the host's storage is reset on restart.
  disk_->read(static_cast<sg_size_t>(bytes + spec_.seek_s * spec_.read_bytes_per_s));
  end();
  slots_->release();
}

void Storage::write(double bytes) {
  slots_->acquire();
  begin();
  disk_->write(static_cast<sg_size_t>(bytes + spec_.seek_s * spec_.write_bytes_per_s));
  end();
  slots_->release();
}

double Storage::busy_time(double now) const {
  return busy_total_ + (in_service_ > 0 ? now - busy_since_ : 0.0);
}

}  // namespace archsim

#include "core/block_pool.hpp"

#include <sys/mman.h>

#include <algorithm>

namespace archsim {

BlockPool::BlockPool(std::size_t reserve_bytes) {
  const std::size_t pages = reserve_bytes / kPageBytes;
  if (pages == 0) return;
  // Address space only: PROT_NONE is not counted against the commit limit, whatever the
  // system's overcommit policy. One commit unit more, to align the first one.
  const std::size_t mapping_bytes = pages * kPageBytes + kCommitBytes;
  void* reserve = mmap(nullptr, mapping_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserve == MAP_FAILED) return;
  // One byte per page, zero-filled by the kernel as it is first read.
  void* table = mmap(nullptr, pages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (table == MAP_FAILED) {
    munmap(reserve, mapping_bytes);
    return;
  }
  reserve_ = reserve;
  reserve_mapping_bytes_ = mapping_bytes;
  page_class_ = static_cast<std::uint8_t*>(table);
  base_ = (reinterpret_cast<std::uintptr_t>(reserve) + kCommitBytes - 1) / kCommitBytes * kCommitBytes;
  pages_ = pages;
  used_up_ = false;
  // Only advice: without transparent huge pages the pool works the same, on 4 KiB pages.
  madvise(reinterpret_cast<void*>(base_), pages * kPageBytes, MADV_HUGEPAGE);
}

BlockPool::~BlockPool() {
  if (reserve_) munmap(reserve_, reserve_mapping_bytes_);
  if (page_class_) munmap(page_class_, pages_);
}

bool BlockPool::carve(Cache& cache, int size_class) {
  char* page = nullptr;
  {
    const std::lock_guard<std::mutex> lock(carving_);
    if (carved_ == pages_) {
      used_up_ = true;
      return false;
    }
    page = reinterpret_cast<char*>(base_ + carved_ * kPageBytes);
    if (carved_ == committed_) {
      constexpr std::size_t unit = kCommitBytes / kPageBytes;
      const std::size_t more = std::min(unit, pages_ - committed_);
      if (mprotect(page, more * kPageBytes, PROT_READ | PROT_WRITE) != 0) {  // over the commit limit
        used_up_ = true;
        return false;
      }
      committed_ += more;
    }
    page_class_[carved_] = static_cast<std::uint8_t>(size_class);
    ++carved_;
  }
  // What is left of the class's previous page (less than a block) is given up.
  const std::size_t block = block_bytes(size_class);
  cache.next[size_class] = page;
  cache.end[size_class] = page + kPageBytes / block * block;
  return true;
}

}  // namespace archsim

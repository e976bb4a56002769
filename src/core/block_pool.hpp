#pragma once
// Small blocks for the many short-lived objects of a simulation: a request in flight is a
// handful of them (its messages, SimGrid's activity, action and solver entries, archsim's
// records), allocated when it starts a step and freed when the step ends.
//
// Blocks of up to kLargest bytes are carved from 64 KiB pages, each page holding one size
// class, and a freed block goes on its class's free list, to be handed out again first:
// the next object of that size lands in memory that was touched moments ago and is still
// in the processor's caches. glibc's malloc keeps only 7 freed blocks per size at hand
// (its tcache) and sends the rest to bins it sorts and merges, so with thousands of
// requests in flight most allocations come from memory that went cold; the simulated time
// is the same, but the wall time per request grew with the fleet.
//
// The pool reserves address space once (not memory: pages are committed as they are
// carved) and never gives pages back; what it holds is the peak of what was live at once,
// which follows the number of requests in flight, not the number simulated. A block is
// known to be the pool's by its address; the page table says its class.
//
// Free lists belong to a Cache, one per thread (see global_new.cpp): allocate() and
// release() take no lock. Carving a page takes the pool's lock. A block freed by another
// thread than the one that allocated it joins that other thread's lists, which is safe
// because a page's class never changes.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace archsim {

class BlockPool {
 public:
  static constexpr std::size_t kAlignment = 16;         // what operator new must give
  static constexpr std::size_t kLargest = 1024;         // larger requests are not the pool's
  static constexpr std::size_t kPageBytes = 64 * 1024;  // carved and committed at once
  static constexpr int kClasses = 28;                   // 16-byte steps to 256, 64-byte steps to 1,024
  // Committed this much at a time, aligned, so that the kernel can back it with 2 MiB pages
  // (transparent huge pages, which the pool asks for): thousands of requests in flight
  // touch tens of megabytes, more than the processor's TLB covers in 4 KiB pages.
  static constexpr std::size_t kCommitBytes = 2 * 1024 * 1024;

  // The size class of a request of `bytes` (0 to kLargest), and the block size of a class.
  static int class_of(std::size_t bytes) {
    if (bytes <= 256) return bytes == 0 ? 0 : static_cast<int>((bytes - 1) / 16);
    return 16 + static_cast<int>((bytes - 257) / 64);
  }
  static std::size_t block_bytes(int size_class) {
    return size_class < 16 ? static_cast<std::size_t>(size_class + 1) * 16
                           : 256 + static_cast<std::size_t>(size_class - 15) * 64;
  }

  // One thread's free lists and partly carved pages. All zero is an empty cache.
  struct Cache {
    void* free[kClasses];
    char* next[kClasses];
    char* end[kClasses];
  };

  // Reserves `reserve_bytes` of address space (rounded down to whole pages). If the
  // system refuses, the pool is empty and allocate() returns nullptr.
  explicit BlockPool(std::size_t reserve_bytes);
  ~BlockPool();  // unmaps everything: only for pools whose blocks are all dead
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block of at least `bytes` (at most kLargest), aligned to kAlignment, or nullptr when
  // the reserve is used up.
  void* allocate(Cache& cache, std::size_t bytes) {
    const int c = class_of(bytes);
    if (void* block = cache.free[c]) {
      cache.free[c] = *static_cast<void**>(block);
      return block;
    }
    if (cache.next[c] == cache.end[c] && (used_up_.load(std::memory_order_relaxed) || !carve(cache, c))) return nullptr;
    void* block = cache.next[c];
    cache.next[c] += block_bytes(c);
    return block;
  }
  // Takes back a block of this pool (owns(block) must hold).
  void release(Cache& cache, void* block) {
    const int c = class_of_block(block);
    *static_cast<void**>(block) = cache.free[c];
    cache.free[c] = block;
  }
  bool owns(const void* p) const {
    const auto address = reinterpret_cast<std::uintptr_t>(p);
    return address - base_ < pages_ * kPageBytes;
  }
  // The size class of a block of this pool.
  int class_of_block(const void* block) const { return page_class_[page_of(block)]; }
  // Whether the address space could be reserved.
  bool reserved() const { return pages_ != 0; }
  // Bytes carved into blocks so far (whole pages).
  std::size_t carved_bytes() const { return carved_ * kPageBytes; }

 private:
  std::size_t page_of(const void* block) const {
    return (reinterpret_cast<std::uintptr_t>(block) - base_) / kPageBytes;
  }
  // Gives `cache` a fresh page of class `size_class`; false when the reserve is used up.
  bool carve(Cache& cache, int size_class);

  std::uintptr_t base_ = 0;         // the reserve's first page (kCommitBytes-aligned)
  std::size_t pages_ = 0;           // pages in the reserve (0 when it could not be made)
  std::size_t carved_ = 0;          // pages handed out so far
  std::size_t committed_ = 0;       // pages readable and writable so far
  std::uint8_t* page_class_ = nullptr;  // the class of each page (its own mapping)
  void* reserve_ = nullptr;             // the reserve's mapping, as made (base_ lies in it)
  std::size_t reserve_mapping_bytes_ = 0;  // (page_class_'s mapping is pages_ bytes)
  // Until the reserve is made, and once carving failed: every later call would fail too.
  std::atomic<bool> used_up_{true};
  std::mutex carving_;
};

}  // namespace archsim

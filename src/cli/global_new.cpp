// The archsim program's operator new and delete, which every C++ allocation in the process
// goes through, SimGrid's included: blocks of up to BlockPool::kLargest bytes come from a
// BlockPool (see core/block_pool.hpp), larger ones from malloc. The simulated results do
// not depend on it; the wall time of a run with thousands of requests in flight does.
//
// Not built with the sanitizers, whose own operator new checks every allocation.
#include <cstdlib>
#include <new>

#include "core/block_pool.hpp"

namespace {

archsim::BlockPool* make_pool(void* storage) {
  // Address space, not memory: pages are committed as they are carved. Less where the
  // system limits address space (ulimit -v, valgrind), none at all in the end (malloc).
  for (const std::size_t reserve : {std::size_t{64} << 30, std::size_t{4} << 30, std::size_t{256} << 20}) {
    auto* pool = new (storage) archsim::BlockPool(reserve);
    if (pool->reserved()) return pool;
    pool->~BlockPool();
  }
  return new (storage) archsim::BlockPool(0);
}

// Made by the first allocation, which comes before any thread is started (the shared
// libraries' static constructors allocate), and never destroyed: blocks are freed until
// the process ends, static destructors included. A plain pointer, not a function-local
// static: that would cost a guard check on every allocation and every free.
alignas(archsim::BlockPool) unsigned char pool_storage[sizeof(archsim::BlockPool)];
archsim::BlockPool* the_pool = nullptr;

archsim::BlockPool& pool() {
  if (__builtin_expect(the_pool == nullptr, 0)) the_pool = make_pool(pool_storage);
  return *the_pool;
}

// Each thread's free lists; all zero is empty, so it needs no constructor or destructor.
// A thread's cached blocks are given up when it ends (archsim simulates in one thread).
thread_local archsim::BlockPool::Cache cache;

void* allocate(std::size_t bytes) {
  if (bytes <= archsim::BlockPool::kLargest)
    if (void* block = pool().allocate(cache, bytes)) return block;
  if (bytes == 0) bytes = 1;
  while (true) {
    if (void* block = std::malloc(bytes)) return block;
    const std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

void* allocate_or_null(std::size_t bytes) noexcept {
  try {
    return allocate(bytes);
  } catch (...) {
    return nullptr;
  }
}

void release(void* block) noexcept {
  archsim::BlockPool* p = the_pool;  // no pool yet: the block came from malloc
  if (p != nullptr && p->owns(block))
    p->release(cache, block);
  else
    std::free(block);  // nullptr included
}

}  // namespace

void* operator new(std::size_t bytes) { return allocate(bytes); }
void* operator new[](std::size_t bytes) { return allocate(bytes); }
void* operator new(std::size_t bytes, const std::nothrow_t&) noexcept { return allocate_or_null(bytes); }
void* operator new[](std::size_t bytes, const std::nothrow_t&) noexcept { return allocate_or_null(bytes); }
void operator delete(void* block) noexcept { release(block); }
void operator delete[](void* block) noexcept { release(block); }
void operator delete(void* block, std::size_t) noexcept { release(block); }
void operator delete[](void* block, std::size_t) noexcept { release(block); }
void operator delete(void* block, const std::nothrow_t&) noexcept { release(block); }
void operator delete[](void* block, const std::nothrow_t&) noexcept { release(block); }

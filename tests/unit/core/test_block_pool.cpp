#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "core/block_pool.hpp"

using archsim::BlockPool;

namespace {
constexpr std::size_t kMiB = 1024 * 1024;

bool aligned(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % BlockPool::kAlignment == 0; }
}  // namespace

TEST_CASE("block pool: every size up to the largest has the tightest class that holds it") {
  for (std::size_t bytes = 0; bytes <= BlockPool::kLargest; ++bytes) {
    const int c = BlockPool::class_of(bytes);
    INFO("bytes " << bytes);
    REQUIRE(c >= 0);
    REQUIRE(c < BlockPool::kClasses);
    REQUIRE(BlockPool::block_bytes(c) >= bytes);
    REQUIRE(BlockPool::block_bytes(c) % BlockPool::kAlignment == 0);
    if (c > 0) REQUIRE(BlockPool::block_bytes(c - 1) < std::max<std::size_t>(bytes, 1));
  }
  REQUIRE(BlockPool::block_bytes(BlockPool::kClasses - 1) == BlockPool::kLargest);
}

TEST_CASE("block pool: blocks are aligned, disjoint and the pool's; a freed block is handed out first") {
  BlockPool pool(64 * kMiB);
  BlockPool::Cache cache{};
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::size_t> size(0, BlockPool::kLargest);
  std::vector<std::pair<unsigned char*, std::size_t>> live;
  for (int i = 0; i < 20000; ++i) {
    const std::size_t bytes = size(rng);
    auto* p = static_cast<unsigned char*>(pool.allocate(cache, bytes));
    REQUIRE(p != nullptr);
    REQUIRE(aligned(p));
    REQUIRE(pool.owns(p));
    REQUIRE(pool.class_of_block(p) == BlockPool::class_of(bytes));
    std::memset(p, i & 0xff, bytes);
    live.emplace_back(p, bytes);
    if (rng() % 3 == 0) {  // free one at random; its size class hands it out next
      const std::size_t k = rng() % live.size();
      auto [q, n] = live[k];
      // Still holds what was written: no other block overlapped it.
      for (std::size_t j = 0; j < n; ++j) REQUIRE(q[j] == q[0]);
      pool.release(cache, q);
      live.erase(live.begin() + static_cast<std::ptrdiff_t>(k));
      REQUIRE(pool.allocate(cache, n) == q);
      pool.release(cache, q);
    }
  }
  std::set<unsigned char*> distinct;
  for (auto [p, n] : live) REQUIRE(distinct.insert(p).second);
  REQUIRE(pool.carved_bytes() > 0);
  REQUIRE(pool.carved_bytes() < 64 * kMiB);
}

TEST_CASE("block pool: memory freed is used again, so what it holds follows the peak, not the total") {
  BlockPool pool(64 * kMiB);
  BlockPool::Cache cache{};
  std::vector<void*> blocks;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 1000; ++i) blocks.push_back(pool.allocate(cache, 48 + (i % 7) * 100));
    for (void* b : blocks) pool.release(cache, b);
    blocks.clear();
  }
  // 1,000 blocks of at most 704 bytes live at once: a few pages per class, however many rounds.
  REQUIRE(pool.carved_bytes() <= 16 * BlockPool::kPageBytes);
}

TEST_CASE("block pool: other memory is not the pool's") {
  BlockPool pool(4 * kMiB);
  int local = 0;
  void* heap = std::malloc(64);
  REQUIRE_FALSE(pool.owns(&local));
  REQUIRE_FALSE(pool.owns(heap));
  REQUIRE_FALSE(pool.owns(nullptr));
  std::free(heap);
}

TEST_CASE("block pool: a used-up reserve returns nullptr, and freed blocks still come back") {
  BlockPool pool(2 * BlockPool::kPageBytes);
  BlockPool::Cache cache{};
  std::vector<void*> blocks;
  while (void* b = pool.allocate(cache, 1024)) blocks.push_back(b);
  REQUIRE(blocks.size() == 2 * BlockPool::kPageBytes / 1024);
  REQUIRE(pool.allocate(cache, 16) == nullptr);  // no page left for another class
  pool.release(cache, blocks.back());
  REQUIRE(pool.allocate(cache, 1000) == blocks.back());

  BlockPool none(0);  // nothing reserved: the caller falls back on malloc
  REQUIRE(none.allocate(cache, 16) == nullptr);
  REQUIRE_FALSE(none.owns(blocks.front()));
}

TEST_CASE("block pool: threads with caches of their own share the pages safely") {
  BlockPool pool(256 * kMiB);
  std::vector<std::vector<void*>> kept(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&pool, &kept, t] {
      BlockPool::Cache cache{};
      std::mt19937_64 rng(static_cast<unsigned>(t));
      std::vector<void*> live;
      for (int i = 0; i < 50000; ++i) {
        const std::size_t bytes = 1 + rng() % BlockPool::kLargest;
        auto* p = static_cast<unsigned char*>(pool.allocate(cache, bytes));
        p[0] = static_cast<unsigned char>(t);
        p[bytes - 1] = static_cast<unsigned char>(t);
        live.push_back(p);
        if (live.size() > 500) {
          pool.release(cache, live.front());
          live.erase(live.begin());
        }
      }
      kept[static_cast<std::size_t>(t)] = live;
    });
  for (auto& th : threads) th.join();
  std::set<void*> distinct;
  for (const auto& blocks : kept)
    for (void* b : blocks) REQUIRE(distinct.insert(b).second);  // no block handed to two threads

  // A block freed by another thread joins that thread's lists.
  BlockPool::Cache mine{};
  BlockPool::Cache theirs{};
  void* b = pool.allocate(mine, 200);
  pool.release(theirs, b);
  REQUIRE(pool.allocate(theirs, 200) == b);
}

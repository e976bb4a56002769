#include "kinds/cache/cache_store.hpp"

#include <optional>
#include <utility>

namespace archsim::kinds::cache {

namespace {
// Redis examines this many keys per round of active expiry.
constexpr int kExpirySample = 20;
}  // namespace

CacheStore::CacheStore(const Config& config) : config_(config) {}

std::uint64_t CacheStore::counted_uses(std::uint64_t key) const {
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

void CacheStore::link(std::uint64_t key, Entry& entry) {
  switch (config_.eviction) {
    case Eviction::Lru:
      order_.push_front(key);
      entry.position = order_.begin();
      break;
    case Eviction::Fifo:
    case Eviction::None:
      order_.push_back(key);
      entry.position = std::prev(order_.end());
      break;
    case Eviction::Lfu: {
      auto& bucket = buckets_[entry.uses];
      bucket.push_back(key);
      entry.position = std::prev(bucket.end());
      break;
    }
    case Eviction::Random:
      entry.slot = slots_.size();
      slots_.push_back(key);
      break;
  }
}

void CacheStore::unlink(Entry& entry, std::uint64_t key) {
  switch (config_.eviction) {
    case Eviction::Lru:
    case Eviction::Fifo:
    case Eviction::None:
      order_.erase(entry.position);
      break;
    case Eviction::Lfu: {
      auto bucket = buckets_.find(entry.uses);
      bucket->second.erase(entry.position);
      if (bucket->second.empty()) buckets_.erase(bucket);
      break;
    }
    case Eviction::Random: {
      const std::uint64_t last = slots_.back();
      if (last != key) {
        slots_[entry.slot] = last;
        entries_.find(last)->second.slot = entry.slot;
      }
      slots_.pop_back();
      break;
    }
  }
}

void CacheStore::remove(std::unordered_map<std::uint64_t, Entry>::iterator it) {
  unlink(it->second, it->first);
  used_bytes_ -= it->second.bytes;
  entries_.erase(it);
  if (entries_.empty()) used_bytes_ = 0;  // no rounding residue
}

void CacheStore::touch(std::uint64_t key, Entry& entry) {
  if (config_.eviction == Eviction::Lru) {
    order_.splice(order_.begin(), order_, entry.position);
  } else if (config_.eviction == Eviction::Lfu) {
    unlink(entry, key);
    entry.uses = config_.keep_counts ? counted_uses(key) : entry.uses + 1;
    link(key, entry);
  }
}

CacheStore::Found CacheStore::get(std::uint64_t key, double now) {
  if (config_.keep_counts) ++counts_[key];
  auto it = entries_.find(key);
  if (it == entries_.end()) return {};
  Entry& entry = it->second;
  if (entry.expires_at <= now) {
    if (now < entry.expires_at + config_.grace_s) {
      touch(key, entry);
      if (entry.refreshing) return {Lookup::Stale, entry.value, entry.expires_at};
      entry.refreshing = true;
      return {Lookup::Expired, {}, entry.expires_at};
    }
    remove(it);
    ++expirations_;
    return {Lookup::Expired, {}, 0};
  }
  touch(key, entry);
  return {Lookup::Hit, entry.value, entry.expires_at};
}

std::uint64_t CacheStore::victim(RandomStream& rng) const {
  switch (config_.eviction) {
    case Eviction::Lru: return order_.back();
    case Eviction::Lfu: return buckets_.begin()->second.front();
    case Eviction::Random: return slots_[static_cast<std::size_t>(rng.below(slots_.size()))];
    case Eviction::Fifo:
    case Eviction::None: break;
  }
  return order_.front();
}

bool CacheStore::admissible(double bytes, std::uint64_t uses) const {
  // The victims come least used first: enough room must come from keys used less often.
  double room = config_.capacity_bytes - used_bytes_;
  for (const auto& [bucket_uses, keys] : buckets_) {
    if (room >= bytes || bucket_uses >= uses) break;
    for (std::uint64_t key : keys) {
      room += entries_.find(key)->second.bytes;
      if (room >= bytes) break;
    }
  }
  return room >= bytes;
}

bool CacheStore::make_room(double bytes, std::uint64_t uses, double now, RandomStream& rng, Stored& refusal) {
  if (config_.eviction == Eviction::None) {
    int examined = 0;
    for (auto it = order_.begin(); it != order_.end() && examined < kExpirySample &&
                                   used_bytes_ + bytes > config_.capacity_bytes;
         ++examined) {
      auto entry = entries_.find(*it);
      ++it;
      if (entry->second.expires_at <= now) {
        remove(entry);
        ++expirations_;
      }
    }
    refusal = Stored::Refused;
    return used_bytes_ + bytes <= config_.capacity_bytes;
  }
  if (config_.eviction == Eviction::Lfu && config_.keep_counts && !admissible(bytes, uses)) {
    refusal = Stored::NotAdmitted;
    return false;
  }
  while (used_bytes_ + bytes > config_.capacity_bytes && !entries_.empty()) {
    const std::uint64_t key = victim(rng);
    auto it = entries_.find(key);
    if (config_.eviction == Eviction::Lfu && config_.keep_counts && it->second.uses >= uses &&
        it->second.expires_at > now) {
      refusal = Stored::NotAdmitted;
      return false;
    }
    if (it->second.expires_at <= now)
      ++expirations_;
    else
      ++evictions_;
    remove(it);
  }
  return true;
}

CacheStore::Stored CacheStore::set(std::uint64_t key, double value_bytes, const Value& value, double expires_at,
                                   double now, RandomStream& rng) {
  const double bytes = value_bytes + config_.item_overhead_bytes;
  if (bytes > config_.capacity_bytes) {
    erase(key);  // the old value is no longer the key's (Memcached unlinks it)
    return Stored::TooLarge;
  }
  std::uint64_t uses = config_.keep_counts ? counted_uses(key) : 1;
  // A value replaced: taken out while room is made, put back if the new one is refused.
  std::optional<std::pair<std::uint64_t, Entry>> old;
  auto existing = entries_.find(key);
  if (existing != entries_.end()) {
    if (!config_.keep_counts) uses = existing->second.uses;
    old.emplace(key, existing->second);
    remove(existing);
  }
  Stored refusal = Stored::Refused;
  if (!make_room(bytes, uses, now, rng, refusal)) {
    if (old) {
      Entry& back = entries_[key] = old->second;
      link(key, back);
      used_bytes_ += back.bytes;
    }
    return refusal;
  }
  Entry& entry = entries_[key];
  entry.value = value;
  entry.bytes = bytes;
  entry.expires_at = expires_at;
  entry.uses = uses;
  link(key, entry);
  used_bytes_ += bytes;
  return Stored::Stored;
}

bool CacheStore::erase(std::uint64_t key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  remove(it);
  return true;
}

void CacheStore::clear() {
  entries_.clear();
  order_.clear();
  buckets_.clear();
  slots_.clear();
  used_bytes_ = 0;
}

}  // namespace archsim::kinds::cache

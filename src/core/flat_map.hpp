#pragma once
// A hash map from ids or addresses to values, kept in one array: open addressing with
// linear probing, at most half full, and backward-shift deletion (no tombstones).
//
// Made for the tables that follow what is in flight (requests by id, transfers and
// executions by their SimGrid activity, inboxes by mailbox). With thousands in flight,
// their entries are cold when a request comes back to them; std::unordered_map reaches a
// value through its bucket, its node, and on erase the node before it in a list that
// links the whole table, each a separate cache line. Here a lookup reads the slot the key
// hashes to, and usually nothing else.
//
// Keys are unsigned integers or pointers; the all-ones key is reserved (it marks an empty
// slot), which no id counted from 0 and no address reaches. Inserting or erasing may move
// other entries: pointers to values are valid until the next insert or erase. Iteration
// order is that of the array, which depends on the keys alone: results that must not
// depend on it should sort.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace archsim {

template <typename Key, typename Value>
class FlatMap {
  static_assert(std::is_integral_v<Key> || std::is_pointer_v<Key>, "FlatMap keys are integers or pointers");

 public:
  FlatMap() = default;

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // The value of `key`, or nullptr.
  Value* find(Key key) {
    const std::size_t i = slot_of(key);
    return i == kNone ? nullptr : &slots_[i].value;
  }
  const Value* find(Key key) const { return const_cast<FlatMap*>(this)->find(key); }
  bool contains(Key key) const { return find(key) != nullptr; }

  // The value of `key`, made from `args` if it was absent; true if it was.
  template <typename... Args>
  std::pair<Value*, bool> try_emplace(Key key, Args&&... args) {
    const std::uint64_t bits = bits_of(key);
    if (bits == kEmpty) throw std::invalid_argument("FlatMap: the all-ones key is reserved");
    if (2 * (size_ + 1) > slots_.size()) grow();
    std::size_t i = home(bits);
    for (; slots_[i].key != kEmpty; i = next(i))
      if (slots_[i].key == bits) return {&slots_[i].value, false};
    slots_[i].key = bits;
    slots_[i].value = Value(std::forward<Args>(args)...);
    ++size_;
    return {&slots_[i].value, true};
  }
  Value& operator[](Key key) { return *try_emplace(key).first; }

  // Removes `key`; false if it was absent.
  bool erase(Key key) {
    const std::size_t i = slot_of(key);
    if (i == kNone) return false;
    remove_at(i);
    return true;
  }
  // Removes `key` and returns its value; nothing if it was absent.
  std::optional<Value> take(Key key) {
    const std::size_t i = slot_of(key);
    if (i == kNone) return std::nullopt;
    std::optional<Value> value(std::move(slots_[i].value));
    remove_at(i);
    return value;
  }

  void clear() {
    for (Slot& s : slots_)
      if (s.key != kEmpty) {
        s.key = kEmpty;
        s.value = Value();
      }
    size_ = 0;
  }

  // Calls visit(key, value) for every entry; the map must not change meanwhile.
  template <typename Visit>
  void for_each(Visit&& visit) {
    for (Slot& s : slots_)
      if (s.key != kEmpty) visit(key_of(s.key), s.value);
  }
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const Slot& s : slots_)
      if (s.key != kEmpty) visit(key_of(s.key), s.value);
  }

 private:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static constexpr std::size_t kNone = ~std::size_t{0};
  struct Slot {
    std::uint64_t key = kEmpty;
    Value value{};
  };

  static std::uint64_t bits_of(Key key) {
    if constexpr (std::is_pointer_v<Key>)
      return static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key));
    else
      return static_cast<std::uint64_t>(key);
  }
  static Key key_of(std::uint64_t bits) {
    if constexpr (std::is_pointer_v<Key>)
      return reinterpret_cast<Key>(static_cast<std::uintptr_t>(bits));
    else
      return static_cast<Key>(bits);
  }
  // Fibonacci hashing: the top bits of the key times 2^64 / golden ratio, which spreads
  // consecutive ids and aligned addresses alike.
  std::size_t home(std::uint64_t bits) const {
    return static_cast<std::size_t>((bits * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  std::size_t next(std::size_t i) const { return (i + 1) & (slots_.size() - 1); }

  // The slot holding `key`, or kNone.
  std::size_t slot_of(Key key) const {
    if (size_ == 0) return kNone;
    const std::uint64_t bits = bits_of(key);
    for (std::size_t i = home(bits);; i = next(i)) {
      if (slots_[i].key == bits) return i;
      if (slots_[i].key == kEmpty) return kNone;
    }
  }
  // Empties slot `i`. Backward shift: entries after the hole that may live there move up,
  // so that every entry stays reachable from its home without crossing an empty slot.
  void remove_at(std::size_t i) {
    for (std::size_t j = next(i);; j = next(j)) {
      Slot& candidate = slots_[j];
      if (candidate.key == kEmpty) break;
      const std::size_t h = home(candidate.key);
      // Movable unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
      if (stays) continue;
      slots_[i].key = candidate.key;
      slots_[i].value = std::move(candidate.value);
      i = j;
    }
    slots_[i].key = kEmpty;
    slots_[i].value = Value();  // lets go of what the value held
    --size_;
  }

  void grow() {
    std::vector<Slot> old;
    old.swap(slots_);
    const std::size_t capacity = old.empty() ? 16 : 2 * old.size();
    slots_.resize(capacity);
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (Slot& s : old)
      if (s.key != kEmpty) {
        std::size_t i = home(s.key);
        while (slots_[i].key != kEmpty) i = next(i);
        slots_[i].key = s.key;
        slots_[i].value = std::move(s.value);
        ++size_;
      }
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  unsigned shift_ = 64;
};

}  // namespace archsim

// Compact storage for per-entry state that grows with a build's file count (issue 16): strings
// packed into fixed-size chunks and referred to by 8-byte handles, and an open-addressing hash
// index of 32-bit ids. A std::string costs 32 bytes plus a heap block (and malloc's overhead)
// per name, a std::unordered_map node ~64 bytes more; these cost the characters plus a few
// bytes. Chunks never move, so growing never copies (no doubling spike in peak RSS).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::core {

class StringArena {
 public:
  // A handle: where the bytes are and how many. Copyable, 8 bytes.
  struct Str {
    uint32_t off = 0;
    uint32_t len = 0;
  };

  // Copies `s` in; the handle stays valid for the arena's life.
  Str Add(std::string_view s) {
    if (s.empty()) return {};
    if (s.size() > kChunk / 4 || chunks_.size() >= kMaxChunks) {
      big_.emplace_back(s);
      return {kBig | static_cast<uint32_t>(big_.size() - 1), static_cast<uint32_t>(s.size())};
    }
    if (chunks_.empty() || used_ + s.size() > kChunk) {
      chunks_.push_back(std::make_unique_for_overwrite<char[]>(kChunk));
      used_ = 0;
    }
    uint32_t off = static_cast<uint32_t>((chunks_.size() - 1) * kChunk + used_);
    std::memcpy(chunks_.back().get() + used_, s.data(), s.size());
    used_ += s.size();
    return {off, static_cast<uint32_t>(s.size())};
  }

  std::string_view Get(Str s) const {
    if (s.len == 0) return {};
    if (s.off & kBig) return big_[s.off & ~kBig];
    return {chunks_[s.off / kChunk].get() + s.off % kChunk, s.len};
  }

  // The last `n` bytes of `s` (n <= s.len) as a handle of their own, without copying.
  static Str Tail(Str s, uint32_t n) {
    if (n == 0) return {};
    if (s.off & kBig) return {};  // not addressable: callers check Get() of the result
    return {s.off + (s.len - n), n};
  }

  // Bytes held (chunks allocated plus the large strings).
  size_t bytes() const {
    size_t n = chunks_.size() * kChunk;
    for (const auto& b : big_) n += b.capacity();
    return n;
  }

 private:
  static constexpr size_t kChunk = 256 << 10;
  static constexpr uint32_t kBig = 0x80000000u;
  static constexpr size_t kMaxChunks = kBig / kChunk;
  std::vector<std::unique_ptr<char[]>> chunks_;
  size_t used_ = 0;
  std::vector<std::string> big_;  // strings over a quarter chunk (rare: long link targets)
};

// An index of ids (0 .. 2^32-2) by a key the caller derives from the id: the table stores only
// the id and a 32-bit hash per slot (8 bytes, load <= 3/4). Find's `eq(id)` compares the
// probe key against id's key. No removal (entries are replaced in place by their owner).
class IdIndex {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  static uint32_t Hash(std::string_view key) {
    uint64_t h = std::hash<std::string_view>{}(key);
    return static_cast<uint32_t>(h ^ (h >> 32));
  }

  template <typename Eq>
  uint32_t Find(uint32_t hash, Eq&& eq) const {
    if (slots_.empty()) return kNone;
    size_t mask = slots_.size() - 1;
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id == kNone) return kNone;
      if (s.hash == hash && eq(s.id)) return s.id;
    }
  }

  // Adds `id` (the caller knows its key is not in the index yet).
  void Insert(uint32_t hash, uint32_t id) {
    if ((count_ + 1) * 4 > slots_.size() * 3) Grow();
    Place(slots_, hash, id);
    ++count_;
  }

  void Reserve(size_t n) {
    size_t want = 16;
    while (want * 3 < n * 4) want *= 2;
    if (want > slots_.size()) Rehash(want);
  }

  size_t size() const { return count_; }

 private:
  struct Slot {
    uint32_t id = kNone;
    uint32_t hash = 0;
  };
  static void Place(std::vector<Slot>& slots, uint32_t hash, uint32_t id) {
    size_t mask = slots.size() - 1;
    size_t i = hash & mask;
    while (slots[i].id != kNone) i = (i + 1) & mask;
    slots[i] = {id, hash};
  }
  void Grow() { Rehash(slots_.empty() ? 16 : slots_.size() * 2); }
  void Rehash(size_t n) {
    std::vector<Slot> next(n);
    for (const Slot& s : slots_)
      if (s.id != kNone) Place(next, s.hash, s.id);
    slots_.swap(next);
  }
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

// A vector in fixed chunks of 4096 elements: appending never moves what is stored (no
// reallocation spike), and references stay valid.
template <typename T>
class ChunkedVector {
 public:
  static constexpr size_t kChunk = 4096;
  T& push_back(T v) {
    if (size_ % kChunk == 0) chunks_.push_back(std::make_unique<T[]>(kChunk));
    T& slot = chunks_[size_ / kChunk][size_ % kChunk];
    slot = std::move(v);
    ++size_;
    return slot;
  }
  T& operator[](size_t i) { return chunks_[i / kChunk][i % kChunk]; }
  const T& operator[](size_t i) const { return chunks_[i / kChunk][i % kChunk]; }
  T& back() { return (*this)[size_ - 1]; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

 private:
  std::vector<std::unique_ptr<T[]>> chunks_;
  size_t size_ = 0;
};

}  // namespace kiln::core

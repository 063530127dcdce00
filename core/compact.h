// Compact storage for per-entry state that grows with a build's file count (issue 16): strings
// packed into fixed-size chunks and referred to by 8-byte handles, and an open-addressing hash
// index of 32-bit ids. A std::string costs 32 bytes plus a heap block (and malloc's overhead)
// per name, a std::unordered_map node ~64 bytes more; these cost the characters plus a few
// bytes. Chunks never move, so growing never copies (no doubling spike in peak RSS).
#pragma once

#include <algorithm>
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

// Paths stored as an interned directory plus the last component: the files of a COPY share a
// few hundred directories, so a path costs its base name's bytes and 12 bytes of handle
// instead of all its characters. Paths keep their exact bytes ("a", "/a", "a/" all differ).
class PathPool {
 public:
  static constexpr uint32_t kNoDir = 0xffffffffu;
  struct Path {
    uint32_t dir = kNoDir;  // dirs_[dir]; kNoDir: the path has no '/'
    StringArena::Str base;
  };

  Path Add(std::string_view path) {
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return {kNoDir, strings_.Add(path)};
    return {Intern(path.substr(0, slash)), strings_.Add(path.substr(slash + 1))};
  }

  // Add, reusing `other`'s base name bytes when the last components are equal (a COPY's
  // destination and source usually end alike).
  Path AddSharingBase(std::string_view path, Path other) {
    auto slash = path.rfind('/');
    std::string_view last = slash == std::string_view::npos ? path : path.substr(slash + 1);
    if (last.empty() || last != base(other)) return Add(path);
    return {slash == std::string_view::npos ? kNoDir : Intern(path.substr(0, slash)), other.base};
  }

  std::string_view dir(Path p) const {
    return p.dir == kNoDir ? std::string_view() : strings_.Get(dirs_[p.dir]);
  }
  std::string_view base(Path p) const { return strings_.Get(p.base); }
  size_t size(Path p) const { return p.dir == kNoDir ? p.base.len : dir(p).size() + 1 + p.base.len; }

  void AppendTo(Path p, std::string& out) const {
    if (p.dir != kNoDir) out.append(dir(p)).append("/");
    out.append(base(p));
  }
  std::string Get(Path p) const {
    std::string out;
    out.reserve(size(p));
    AppendTo(p, out);
    return out;
  }

  bool Equals(Path p, std::string_view s) const {
    if (p.dir == kNoDir) return base(p) == s;
    std::string_view d = dir(p);
    return s.size() == d.size() + 1 + p.base.len && s.starts_with(d) && s[d.size()] == '/' &&
           s.substr(d.size() + 1) == base(p);
  }

  // The whole path's bytes, in pieces, for comparisons without building it.
  struct Pieces {
    std::string_view head;  // the directory ("" without one)
    bool slash = false;
    std::string_view tail;  // the base name
    size_t size() const { return head.size() + (slash ? 1 : 0) + tail.size(); }
    unsigned char at(size_t i) const {
      if (i < head.size()) return static_cast<unsigned char>(head[i]);
      i -= head.size();
      if (slash) {
        if (i == 0) return '/';
        --i;
      }
      return static_cast<unsigned char>(tail[i]);
    }
  };
  Pieces PiecesOf(Path p) const { return {dir(p), p.dir != kNoDir, base(p)}; }

  // Byte order of the whole paths (as std::string's operator<).
  bool Less(Path a, Path b) const {
    if (a.dir == b.dir) return base(a) < base(b);
    Pieces x = PiecesOf(a), y = PiecesOf(b);
    size_t n = std::min(x.size(), y.size());
    for (size_t i = 0; i < n; ++i)
      if (x.at(i) != y.at(i)) return x.at(i) < y.at(i);
    return x.size() < y.size();
  }

  StringArena& strings() { return strings_; }
  const StringArena& strings() const { return strings_; }

 private:
  uint32_t Intern(std::string_view dir) {
    uint32_t hash = IdIndex::Hash(dir);
    uint32_t id = dir_index_.Find(hash, [&](uint32_t i) { return strings_.Get(dirs_[i]) == dir; });
    if (id != IdIndex::kNone) return id;
    id = static_cast<uint32_t>(dirs_.size());
    dirs_.push_back(strings_.Add(dir));
    dir_index_.Insert(hash, id);
    return id;
  }
  StringArena strings_;
  std::vector<StringArena::Str> dirs_;
  IdIndex dir_index_;
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

#include "builder/build_context.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "builder/path_in_root.h"
#include "builder/target_path.h"
#include "core/cancel.h"
#include "core/image.h"
#include "core/sys_fs.h"
#include "layers/blob_store.h"
#include "layers/fs_util.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

std::unexpected<core::Error> NotFound(std::string_view source) {
  return core::Fail(ErrorCode::kNotFound,
                    "\"" + std::string(source) +
                        "\": file not found in build context or excluded by .dockerignore");
}

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

std::string Join(const std::string& a, const std::string& b) { return a.empty() ? b : a + "/" + b; }

template <typename Int>
void AppendNumber(Int v, std::string& out) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// `s` as a JSON string, as core::Json's dump() writes it: printable ASCII without '"' and '\\'
// (nearly every path) as it is, anything else through the JSON library.
void AppendJsonString(std::string_view s, std::string& out) {
  for (char c : s) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      out += core::Json(std::string(s)).dump();
      return;
    }
  }
  out += '"';
  out += s;
  out += '"';
}

}  // namespace

// The memo file, {"<resolved path>": [size, mtime_ns, ctime_ns, inode, "sha256:<hex>"], ...},
// read entry by entry.
template <typename Table>
class MemoLoader : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit MemoLoader(Table& out) : out_(out) {}
  bool failed = false;

  bool null() override { return Bad(); }
  bool boolean(bool) override { return Bad(); }
  bool number_integer(number_integer_t v) override { return Number(static_cast<int64_t>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Number(static_cast<int64_t>(v)); }
  bool number_float(number_float_t, const string_t&) override { return Bad(); }
  bool binary(binary_t&) override { return Bad(); }
  bool string(string_t& s) override {
    if (depth_ != 2 || field_ != 4 || !s.starts_with("sha256:") ||
        !core::Sha256FromHex(std::string_view(s).substr(7), entry_.sha256.data()))
      return Bad();
    ++field_;
    return true;
  }
  bool start_object(std::size_t) override { return depth_++ == 0 || Bad(); }
  bool end_object() override { return --depth_ == 0 || Bad(); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool start_array(std::size_t) override {
    field_ = 0;
    return depth_++ == 1 || Bad();
  }
  bool end_array() override {
    --depth_;
    if (field_ != 5) return Bad();
    out_.Set(key_, entry_);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return Bad();
  }

 private:
  bool Bad() {
    failed = true;
    return false;
  }
  bool Number(int64_t v) {
    if (depth_ != 2) return Bad();
    switch (field_++) {
      case 0: entry_.size = static_cast<uint64_t>(v); return true;
      case 1: entry_.mtime_ns = v; return true;
      case 2: entry_.ctime_ns = v; return true;
      case 3: entry_.ino = static_cast<uint64_t>(v); return true;
      default: return Bad();
    }
  }
  Table& out_;
  typename Table::Value entry_{};
  std::string key_;
  int depth_ = 0;
  int field_ = 0;
};

bool HasWildcard(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

bool MatchComponent(std::string_view pattern, std::string_view name) {
  return sys::FnMatch(std::string(pattern), std::string(name));
}

core::Result<std::unique_ptr<BuildContext>> BuildContext::Open(const std::string& dir,
                                                              IgnoreRules ignore,
                                                              std::string memo_path) {
  std::string resolved;
  if (sys::RealPath(dir, &resolved) != 0)
    return core::Fail(ErrorCode::kNotFound, "build context \"" + dir + "\": " + sys::ErrorText(errno));
  sys::FileStat st;
  if (sys::Stat(resolved, &st) != 0 || !st.IsDir())
    return core::Fail(ErrorCode::kInvalidInput, "build context \"" + dir + "\" is not a directory");
  std::unique_ptr<BuildContext> ctx(new BuildContext());
  ctx->root_ = resolved;
  ctx->ignore_ = std::move(ignore);
  ctx->memo_path_ = std::move(memo_path);
  if (!ctx->memo_path_.empty()) {
    if (auto text = layers::ReadFileToString(ctx->memo_path_, 256 << 20)) {
      // SAX, not a DOM: a DOM of 300,000 entries took ~150 MB; entries go straight into the
      // compact map. (Not the ordered core::Json either: its inserts are a linear search.)
      MemoLoader loader(ctx->memo_);  // NOLINT
      nlohmann::json::sax_parse(*text, &loader, nlohmann::json::input_format_t::json, false);
      if (loader.failed) ctx->memo_.Clear();  // a damaged memo is only a cold cache
    }
  }
  return ctx;
}

BuildContext::~BuildContext() = default;

bool BuildContext::Excluded(std::string_view rel) const {
  if (rel.empty() || !ignore_.excluded) return false;
  return ignore_.excluded(rel);
}

bool BuildContext::Hidden(std::string_view resolved, bool is_dir) const {
  return Excluded(resolved) && !(is_dir && ignore_.has_exceptions);
}

core::Result<ContextEntry> BuildContext::FromStat(const std::string& rel,
                                                  const std::string& resolved,
                                                  const sys::FileStat& st) const {
  ContextEntry e;
  e.rel = rel;
  e.resolved = resolved;
  e.host_path = resolved.empty() ? root_ : root_ + "/" + resolved;
  if (st.IsSymlink() && sys::ReadLink(e.host_path, &e.link_target) != 0)
    return layers::ErrnoError("reading link", e.host_path);
  e.type = st.IsDir()       ? ContextEntry::Type::kDir
           : st.IsSymlink() ? ContextEntry::Type::kSymlink
                            : ContextEntry::Type::kFile;
  if (!st.IsDir() && !st.IsSymlink() && !st.IsRegular())
    return core::Fail(ErrorCode::kUnsupported, "\"" + rel + "\" is not a file, directory or link");
  e.mode = st.Permissions();
  e.size = st.IsRegular() ? st.size : 0;
  e.mtime_sec = st.mtime_sec;
  e.mtime_nsec = st.mtime_nsec;
  e.ctime_ns = st.ctime_ns;
  e.dev = st.dev;
  e.ino = st.ino;
  e.nlink = st.nlink;
  return e;
}

core::Result<ContextEntry> BuildContext::Lookup(const std::string& name) const {
  auto hidden = [this](std::string_view rel, bool is_dir) { return Hidden(rel, is_dir); };
  KILN_ASSIGN(PathInRoot p, ResolveInRoot(root_, name, /*follow_last=*/true, hidden));
  return FromStat(name, p.rel, p.st);
}

core::Status BuildContext::Expand(const std::vector<std::string>& parts, size_t index,
                                  const std::string& rel, std::vector<ContextEntry>& out) const {
  if (index == parts.size()) {
    auto e = Lookup(rel);
    if (e) {
      out.push_back(std::move(*e));
    } else if (e.error().code != ErrorCode::kNotFound && e.error().code != ErrorCode::kUnsupported) {
      return std::unexpected(e.error());  // a loop, an I/O error
    }
    return {};
  }
  const std::string& part = parts[index];
  if (!HasWildcard(part)) return Expand(parts, index + 1, Join(rel, part), out);
  auto dir_entry = Lookup(rel);
  if (!dir_entry) {
    if (dir_entry.error().code == ErrorCode::kInvalidInput) return std::unexpected(dir_entry.error());
    return {};
  }
  if (dir_entry->type != ContextEntry::Type::kDir) return {};
  std::vector<std::string> all, names;
  if (sys::ListDir(dir_entry->host_path, &all) != 0) return {};
  for (auto& name : all)
    if (MatchComponent(part, name)) names.push_back(std::move(name));
  std::sort(names.begin(), names.end());
  for (const auto& name : names) KILN_TRY(Expand(parts, index + 1, Join(rel, name), out));
  return {};
}

namespace {

// Fails like docker when `source` climbs above the context ("../x", "a/../../x").
core::Status CheckNoClimb(std::string_view source) {
  int depth = 0;
  for (const auto& p : SplitPath(source)) {
    if (p == "..") {
      if (--depth < 0)
        return core::Fail(ErrorCode::kInvalidInput,
                          "\"" + std::string(source) + "\": forbidden path outside the build context");
    } else if (p != ".") {
      ++depth;
    }
  }
  return {};
}

}  // namespace

core::Result<std::vector<ContextEntry>> BuildContext::Match(std::string_view source) const {
  KILN_TRY(CheckNoClimb(source));
  std::string cleaned = CleanPath("/" + std::string(source));
  std::vector<ContextEntry> out;
  KILN_TRY(Expand(SplitPath(cleaned), 0, "", out));
  if (out.empty()) return NotFound(source);
  return out;
}

core::Result<ContextEntry> BuildContext::Resolve(std::string_view path) const {
  KILN_TRY(CheckNoClimb(path));
  std::string cleaned = CleanPath("/" + std::string(path)).substr(1);
  auto e = Lookup(cleaned);
  if (!e && (e.error().code == ErrorCode::kNotFound || e.error().code == ErrorCode::kUnsupported))
    return NotFound(path);
  return e;
}

core::Result<std::vector<ContextEntry>> BuildContext::Walk(const ContextEntry& dir) const {
  std::vector<ContextEntry> out;
  KILN_TRY(WalkEach(dir, [&](ContextEntry&& e) -> core::Status {
    out.push_back(std::move(e));
    return {};
  }));
  return out;
}

core::Status BuildContext::WalkEach(const ContextEntry& dir,
                                    const std::function<core::Status(ContextEntry&&)>& fn) const {
  // With the .dockerignore's patterns at hand, each directory carries what they say about it
  // and its parents, so a path is matched once instead of once per parent (the same answers:
  // IgnoreMatcher::MatchesIn).
  parser::IgnoreMatcher::DirMatches start;
  if (ignore_.excluded && ignore_.matcher && !dir.resolved.empty()) {
    for (size_t at = 0;; ++at) {
      at = dir.resolved.find('/', at);
      start = ignore_.matcher->ForDir(std::string_view(dir.resolved).substr(0, at), start);
      if (at == std::string::npos) break;
    }
  }
  return WalkDir(dir.rel, dir.resolved, start, fn);
}

// Entries come sorted by `rel` (byte order of the whole path), depth first: a child's subtree
// ("name/...") sorts by the key "name/", so it comes after siblings like "name.txt" and
// "name-x" (bytes below '/') and before "name0". Below a resolved directory no link is
// followed, so a child's resolved path is its parent's plus its name.
core::Status BuildContext::WalkDir(const std::string& rel, const std::string& resolved,
                                   const parser::IgnoreMatcher::DirMatches& matches,
                                   const std::function<core::Status(ContextEntry&&)>& fn) const {
  const parser::IgnoreMatcher* matcher = ignore_.excluded ? ignore_.matcher.get() : nullptr;
  KILN_TRY(core::CheckCancelled());
  std::string path = resolved.empty() ? root_ : root_ + "/" + resolved;
  std::vector<sys::DirEntry> entries;
  if (sys::ListDirKinds(path, &entries) != 0) return layers::ErrnoError("reading directory", path);
  // (key, may be a directory): a directory's name is listed twice, as itself and as "name/".
  std::vector<std::string> keys;
  for (auto& de : entries) {
    bool maybe_dir = de.kind == sys::Kind::kDirectory || de.kind == sys::Kind::kNone;
    if (maybe_dir) keys.push_back(de.name + "/");
    keys.push_back(std::move(de.name));
  }
  std::sort(keys.begin(), keys.end());
  // The directories to descend into, in name order (as they were met).
  std::vector<std::string> descend;
  for (const auto& key : keys) {
    if (key.ends_with('/')) {
      std::string name = key.substr(0, key.size() - 1);
      if (std::binary_search(descend.begin(), descend.end(), name)) {
        std::string child = Join(resolved, name);
        KILN_TRY(WalkDir(Join(rel, name), child,
                         matcher ? matcher->ForDir(child, matches) : parser::IgnoreMatcher::DirMatches{},
                         fn));
      }
      continue;
    }
    std::string child = Join(resolved, key);
    bool excluded;
    if (matcher) {
      auto r = matcher->MatchesIn(child, matches);
      excluded = r && *r;
    } else {
      excluded = Excluded(child);
    }
    sys::FileStat st;
    std::string host = root_ + "/" + child;
    if (sys::Lstat(host, &st) != 0) return layers::ErrnoError("reading", host);
    auto e = FromStat(Join(rel, key), child, st);
    if (!e) {
      if (e.error().code == ErrorCode::kUnsupported) continue;  // sockets, fifos: skipped
      return std::unexpected(e.error());
    }
    if (e->type == ContextEntry::Type::kDir && (!excluded || ignore_.has_exceptions))
      descend.push_back(key);
    if (!excluded) KILN_TRY(fn(std::move(*e)));
  }
  return {};
}

core::Result<std::vector<std::string>> BuildContext::HiddenBelow(const ContextEntry& dir) const {
  std::vector<std::string> hidden;
  if (!ignore_.excluded || dir.type != ContextEntry::Type::kDir) return hidden;
  std::vector<std::string> stack{""};  // relative to dir
  while (!stack.empty()) {
    KILN_TRY(core::CheckCancelled());
    std::string rel = std::move(stack.back());
    stack.pop_back();
    std::string path = dir.host_path + (rel.empty() ? "" : "/" + rel);
    std::vector<sys::DirEntry> entries;
    if (sys::ListDirKinds(path, &entries) != 0)
      return layers::ErrnoError("reading directory", path);
    std::vector<std::pair<std::string, bool>> children;  // name, is a directory
    for (auto& de : entries) {
      bool is_dir = de.kind == sys::Kind::kDirectory;
      if (de.kind == sys::Kind::kNone) {
        sys::FileStat st;
        is_dir = sys::Lstat(path + "/" + de.name, &st) == 0 && st.IsDir();
      }
      children.push_back({std::move(de.name), is_dir});
    }
    for (auto& [name, is_dir] : children) {
      std::string child = Join(rel, name);
      if (Excluded(Join(dir.resolved, child))) {
        if (is_dir && ignore_.has_exceptions)
          stack.push_back(child);
        else
          hidden.push_back(child);
      } else if (is_dir) {
        stack.push_back(child);
      }
    }
  }
  std::sort(hidden.begin(), hidden.end());
  return hidden;
}

uint32_t BuildContext::MemoTable::Find(std::string_view path) const {
  return index_.Find(core::IdIndex::Hash(path),
                     [&](uint32_t i) { return paths_.Equals(entries_[i].path, path); });
}

uint32_t BuildContext::MemoTable::Set(std::string_view path, const Memo& memo) {
  uint32_t hash = core::IdIndex::Hash(path);
  uint32_t i = index_.Find(hash, [&](uint32_t i) { return paths_.Equals(entries_[i].path, path); });
  if (i != core::IdIndex::kNone) {
    entries_[i].memo = memo;
    return i;
  }
  i = static_cast<uint32_t>(entries_.size());
  entries_.push_back({paths_.Add(path), memo});
  read_.push_back(false);
  index_.Insert(hash, i);
  return i;
}

const std::vector<uint32_t>& BuildContext::MemoTable::Sorted() const {
  if (sorted_.size() == entries_.size()) return sorted_;
  // The paths spelled out once into one buffer (a few bytes per entry beyond the characters),
  // then compared as plain strings: comparing through the pool cost ~900 instructions per
  // comparison (30,000 paths: ~0.2 G per sort).
  std::string text;
  std::vector<uint32_t> start(entries_.size() + 1);
  for (size_t i = 0; i < entries_.size(); ++i) {
    start[i] = static_cast<uint32_t>(text.size());
    paths_.AppendTo(entries_[i].path, text);
  }
  start[entries_.size()] = static_cast<uint32_t>(text.size());
  auto path = [&](uint32_t i) { return std::string_view(text).substr(start[i], start[i + 1] - start[i]); };
  std::vector<uint32_t> out(entries_.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint32_t>(i);
  std::sort(out.begin(), out.end(), [&](uint32_t a, uint32_t b) { return path(a) < path(b); });
  sorted_ = std::move(out);
  return sorted_;
}

std::optional<core::Digest> BuildContext::KnownDigest(const ContextEntry& file) const {
  std::lock_guard lock(mu_);
  uint32_t i = memo_.Find(file.resolved);
  if (i == core::IdIndex::kNone) return std::nullopt;
  const Memo& m = memo_.MemoOf(i);
  int64_t mtime_ns = file.mtime_sec * 1000000000LL + file.mtime_nsec;
  if (m.size == file.size && m.mtime_ns == mtime_ns && m.ctime_ns == file.ctime_ns &&
      m.ino == file.ino) {
    std::string text = "sha256:";
    core::AppendSha256Hex(m.sha256.data(), text);
    if (auto d = core::Digest::Parse(text)) {
      memo_.MarkRead(i);  // provenance: the files this build read
      return *d;
    }
  }
  return std::nullopt;
}

void BuildContext::RememberDigest(const ContextEntry& file, const core::Digest& digest) const {
  Memo m{file.size, file.mtime_sec * 1000000000LL + file.mtime_nsec, file.ctime_ns,
         static_cast<uint64_t>(file.ino), {}};
  if (digest.algorithm() != "sha256" || !core::Sha256FromHex(digest.hex(), m.sha256.data())) return;
  std::lock_guard lock(mu_);
  memo_.MarkRead(memo_.Set(file.resolved, m));
  memo_dirty_ = true;
}

core::Result<core::Digest> BuildContext::FileDigest(const ContextEntry& file) const {
  if (auto known = KnownDigest(file)) return *known;
  KILN_ASSIGN(core::Digest digest, HashFile(file));
  RememberDigest(file, digest);
  return digest;
}

core::Result<core::Digest> BuildContext::HashFile(const ContextEntry& file) const {
  int fd = sys::Open(file.host_path, sys::kRead);
  if (fd < 0) return layers::ErrnoError("opening", file.host_path);
  layers::FdReader reader(fd, file.host_path);
  core::Hasher hasher;
  // Uninitialised and no bigger than the file (zeroing 1 MiB per small file cost seconds on
  // contexts of 30,000 files), and kept per thread: context hashing runs on a pool.
  size_t size = static_cast<size_t>(std::clamp<uint64_t>(file.size + 1, 4096, 1 << 20));
  thread_local std::unique_ptr<char[]> buf;
  thread_local size_t buf_size = 0;
  if (buf_size < size) {
    buf.reset(new char[size]);
    buf_size = size;
  }
  uint64_t total = 0;
  for (;;) {
    KILN_ASSIGN(size_t n, reader.Read(buf.get(), size));
    if (n == 0) break;
    hasher.Update(buf.get(), n);
    total += n;
    // A short read of a regular file is its end: when that is where lstat said it ends, the
    // read that would return 0 is saved (one syscall per file). A file that grew or shrank
    // since is read to its end as before.
    if (n < size && total == file.size) break;
  }
  return hasher.Finish();
}

core::Digest BuildContext::ReadFilesDigest() const {
  std::lock_guard lock(mu_);
  std::vector<uint32_t> read;
  for (uint32_t i : memo_.Sorted())
    if (memo_.read(i)) read.push_back(i);
  if (read.empty()) return {};
  // The same bytes as hashing each line on its own, handed to the hash 64 KiB at a time.
  core::Hasher h;
  std::string buf;
  buf.reserve(size_t{64} << 10);
  for (uint32_t i : read) {
    memo_.AppendPath(i, buf);
    buf += '\0';
    buf += "sha256:";
    core::AppendSha256Hex(memo_.MemoOf(i).sha256.data(), buf);
    buf += '\n';
    if (buf.size() >= (size_t{64} << 10) - 512) {
      h.Update(buf);
      buf.clear();
    }
  }
  h.Update(buf);
  return h.Finish();
}

core::Status BuildContext::SaveMemo() const {
  std::lock_guard lock(mu_);
  if (memo_path_.empty() || !memo_dirty_) return {};
  // Streamed in sorted order (same bytes for the same memo), through a 64 KiB buffer: the
  // whole text of 300,000 entries would be ~50 MB.
  const std::vector<uint32_t>& sorted = memo_.Sorted();
  auto slash = memo_path_.rfind('/');
  if (slash != std::string::npos) KILN_TRY(layers::MakeDirs(memo_path_.substr(0, slash)));
  KILN_ASSIGN(auto out, layers::NewFileBlobWriter(memo_path_));
  std::string text = "{";
  bool first = true;
  for (uint32_t i : sorted) {
    const Memo& m = memo_.MemoOf(i);
    if (!first) text += ',';
    first = false;
    AppendJsonString(memo_.PathOf(i), text);
    text += ":[";
    AppendNumber(m.size, text);
    text += ',';
    AppendNumber(m.mtime_ns, text);
    text += ',';
    AppendNumber(m.ctime_ns, text);
    text += ',';
    AppendNumber(m.ino, text);
    text += ",\"sha256:";
    core::AppendSha256Hex(m.sha256.data(), text);
    text += "\"]";
    if (text.size() >= (64 << 10)) {
      KILN_TRY(out->Write(text));
      text.clear();
    }
  }
  text += "}";
  KILN_TRY(out->Write(text));
  KILN_TRY(out->Commit(""));
  memo_dirty_ = false;
  return {};
}

}  // namespace kiln::builder

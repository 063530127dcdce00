#include "builder/build_context.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include <nlohmann/json.hpp>

#include "builder/path_in_root.h"
#include "builder/target_path.h"
#include "core/cancel.h"
#include "core/image.h"
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

}  // namespace

bool HasWildcard(std::string_view s) { return s.find_first_of("*?[\\") != std::string_view::npos; }

bool MatchComponent(std::string_view pattern, std::string_view name) {
  std::string p(pattern), n(name);
  return fnmatch(p.c_str(), n.c_str(), 0) == 0;
}

core::Result<std::unique_ptr<BuildContext>> BuildContext::Open(const std::string& dir,
                                                              IgnoreRules ignore,
                                                              std::string memo_path) {
  char resolved[PATH_MAX];
  if (!realpath(dir.c_str(), resolved))
    return core::Fail(ErrorCode::kNotFound, "build context \"" + dir + "\": " + std::strerror(errno));
  struct stat st;
  if (stat(resolved, &st) != 0 || !S_ISDIR(st.st_mode))
    return core::Fail(ErrorCode::kInvalidInput, "build context \"" + dir + "\" is not a directory");
  std::unique_ptr<BuildContext> ctx(new BuildContext());
  ctx->root_ = resolved;
  ctx->ignore_ = std::move(ignore);
  ctx->memo_path_ = std::move(memo_path);
  if (!ctx->memo_path_.empty()) {
    if (auto text = layers::ReadFileToString(ctx->memo_path_, 256 << 20)) {
      // nlohmann::json, not the ordered core::Json: its ordered_map inserts by linear search,
      // which made loading a memo of 30,000 files cost ~0.5 s of CPU (quadratic).
      nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
      if (j.is_object()) {
        for (const auto& [rel, v] : j.items()) {
          if (!v.is_array() || v.size() != 5) continue;
          ctx->memo_[rel] = Memo{v[0].get<uint64_t>(), v[1].get<int64_t>(), v[2].get<int64_t>(),
                                 v[3].get<uint64_t>(), v[4].get<std::string>()};
        }
      }
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
                                                  const struct stat& st) const {
  ContextEntry e;
  e.rel = rel;
  e.resolved = resolved;
  e.host_path = resolved.empty() ? root_ : root_ + "/" + resolved;
  if (S_ISLNK(st.st_mode)) {
    char buf[PATH_MAX];
    ssize_t n = readlink(e.host_path.c_str(), buf, sizeof buf);
    if (n < 0) return layers::ErrnoError("reading link", e.host_path);
    e.link_target.assign(buf, n);
  }
  e.type = S_ISDIR(st.st_mode)   ? ContextEntry::Type::kDir
           : S_ISLNK(st.st_mode) ? ContextEntry::Type::kSymlink
                                 : ContextEntry::Type::kFile;
  if (!S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) && !S_ISREG(st.st_mode))
    return core::Fail(ErrorCode::kUnsupported, "\"" + rel + "\" is not a file, directory or link");
  e.mode = st.st_mode & 07777;
  e.size = S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size) : 0;
  e.mtime_sec = st.st_mtim.tv_sec;
  e.mtime_nsec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
  e.ctime_ns = st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec;
  e.dev = st.st_dev;
  e.ino = st.st_ino;
  e.nlink = st.st_nlink;
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
  DIR* d = opendir(dir_entry->host_path.c_str());
  if (!d) return {};
  std::vector<std::string> names;
  while (dirent* de = readdir(d)) {
    std::string name = de->d_name;
    if (name == "." || name == "..") continue;
    if (MatchComponent(part, name)) names.push_back(name);
  }
  closedir(d);
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
  // (name as seen from the source, resolved path): below a resolved directory no link is
  // followed, so a child's resolved path is its parent's plus its name.
  std::vector<std::pair<std::string, std::string>> stack{{dir.rel, dir.resolved}};
  while (!stack.empty()) {
    KILN_TRY(core::CheckCancelled());
    auto [rel, resolved] = std::move(stack.back());
    stack.pop_back();
    std::string path = resolved.empty() ? root_ : root_ + "/" + resolved;
    DIR* d = opendir(path.c_str());
    if (!d) return layers::ErrnoError("reading directory", path);
    std::vector<std::string> names;
    while (dirent* de = readdir(d)) {
      std::string name = de->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    closedir(d);
    std::sort(names.begin(), names.end(), std::greater<>());  // popped in ascending order
    std::vector<std::pair<std::string, std::string>> subdirs;
    for (const auto& name : names) {
      std::string child = Join(resolved, name);
      bool excluded = Excluded(child);
      struct stat st;
      std::string host = root_ + "/" + child;
      if (lstat(host.c_str(), &st) != 0) return layers::ErrnoError("reading", host);
      auto e = FromStat(Join(rel, name), child, st);
      if (!e) {
        if (e.error().code == ErrorCode::kUnsupported) continue;  // sockets, fifos: skipped
        return std::unexpected(e.error());
      }
      if (e->type == ContextEntry::Type::kDir && (!excluded || ignore_.has_exceptions))
        subdirs.push_back({e->rel, child});
      if (!excluded) out.push_back(std::move(*e));
    }
    for (auto& s : subdirs) stack.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.rel < b.rel; });
  return out;
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
    DIR* d = opendir(path.c_str());
    if (!d) return layers::ErrnoError("reading directory", path);
    std::vector<std::pair<std::string, bool>> children;  // name, is a directory
    while (dirent* de = readdir(d)) {
      std::string name = de->d_name;
      if (name == "." || name == "..") continue;
      bool is_dir = de->d_type == DT_DIR;
      if (de->d_type == DT_UNKNOWN) {
        struct stat st;
        is_dir = lstat((path + "/" + name).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
      }
      children.push_back({std::move(name), is_dir});
    }
    closedir(d);
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

core::Result<core::Digest> BuildContext::FileDigest(const ContextEntry& file) const {
  {
    std::lock_guard lock(mu_);
    auto it = memo_.find(file.resolved);
    int64_t mtime_ns = file.mtime_sec * 1000000000LL + file.mtime_nsec;
    if (it != memo_.end() && it->second.size == file.size && it->second.mtime_ns == mtime_ns &&
        it->second.ctime_ns == file.ctime_ns && it->second.ino == file.ino) {
      if (auto d = core::Digest::Parse(it->second.digest)) {
        read_[file.resolved] = it->second.digest;
        return *d;
      }
    }
  }
  int fd = open(file.host_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return layers::ErrnoError("opening", file.host_path);
  layers::FdReader reader(fd, file.host_path);
  core::Hasher hasher;
  // Uninitialised and no bigger than the file: zeroing 1 MiB per small file cost seconds on
  // contexts of 30,000 files.
  size_t size = static_cast<size_t>(std::clamp<uint64_t>(file.size + 1, 4096, 1 << 20));
  std::unique_ptr<char[]> buf(new char[size]);
  for (;;) {
    KILN_ASSIGN(size_t n, reader.Read(buf.get(), size));
    if (n == 0) break;
    hasher.Update(buf.get(), n);
  }
  core::Digest digest = hasher.Finish();
  std::lock_guard lock(mu_);
  memo_[file.resolved] = Memo{file.size, file.mtime_sec * 1000000000LL + file.mtime_nsec, file.ctime_ns,
                         static_cast<uint64_t>(file.ino), digest.ToString()};
  memo_dirty_ = true;
  read_[file.resolved] = digest.ToString();
  return digest;
}

core::Digest BuildContext::ReadFilesDigest() const {
  std::lock_guard lock(mu_);
  if (read_.empty()) return {};
  core::Hasher h;
  for (const auto& [path, digest] : read_) {
    h.Update(path);
    h.Update(std::string_view("\0", 1));
    h.Update(digest);
    h.Update("\n");
  }
  return h.Finish();
}

core::Status BuildContext::SaveMemo() const {
  std::lock_guard lock(mu_);
  if (memo_path_.empty() || !memo_dirty_) return {};
  // Written as text directly: building a JSON object of 30,000 keys first cost ~10 % of a build.
  std::string text = "{";
  for (const auto& [rel, m] : memo_) {
    if (text.size() > 1) text += ',';
    text += core::Json(rel).dump() + ":[" + std::to_string(m.size) + "," +
            std::to_string(m.mtime_ns) + "," + std::to_string(m.ctime_ns) + "," +
            std::to_string(m.ino) + "," + core::Json(m.digest).dump() + "]";
  }
  text += "}";
  auto slash = memo_path_.rfind('/');
  if (slash != std::string::npos) KILN_TRY(layers::MakeDirs(memo_path_.substr(0, slash)));
  KILN_TRY(layers::WriteFileAtomic(memo_path_, text));
  memo_dirty_ = false;
  return {};
}

}  // namespace kiln::builder

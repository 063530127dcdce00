#include "builder/copy_plan.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "core/cancel.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

// Context hashing threads at most (the machine's cores, up to this).
constexpr size_t kMaxHashThreads = 8;

std::string BaseName(std::string_view rel) {
  auto slash = rel.rfind('/');
  return std::string(slash == std::string_view::npos ? rel : rel.substr(slash + 1));
}

std::string RelativeTo(std::string_view path, std::string_view dir) {
  if (dir.empty()) return std::string(path);
  return std::string(path.substr(dir.size() + 1));
}

core::Result<bool> Excluded(const CopyOptions& o, std::string_view rel) {
  if (!o.exclude || rel.empty()) return false;
  return o.exclude->Matches(rel);
}

std::string LayerPath(bool windows, const std::string& target) { return LayerName(windows, target); }

}  // namespace

// Windows targets write sources with '\\' as separator (docker on Windows has no escapes in
// source patterns); sources of a Windows stage may also start with "C:" (its tree is C:\).
std::string NormalizeSource(std::string_view source, bool windows, bool windows_stage) {
  std::string s(source);
  if (!windows) return s;
  for (char& c : s)
    if (c == '\\') c = '/';
  if (windows_stage && s.size() >= 2 && s[1] == ':' && (s[0] == 'c' || s[0] == 'C')) s = s.substr(2);
  return s;
}

core::Result<CopyPlan> PlanCopy(const BuildContext& ctx, const std::vector<std::string>& sources,
                                const TargetPath& dest, bool dest_known_dir,
                                const CopyOptions& o) {
  std::vector<ContextEntry> matches;
  bool wildcard = false;
  for (const auto& raw : sources) {
    std::string src = NormalizeSource(raw, o.windows, o.source_is_stage);
    wildcard |= HasWildcard(src);
    KILN_ASSIGN(auto m, ctx.Match(src));
    for (auto& e : m) matches.push_back(std::move(e));
  }
  bool into_dir = dest.is_dir || dest_known_dir;
  if (!into_dir && (sources.size() > 1 || (wildcard && matches.size() > 1)))
    return core::Fail(ErrorCode::kInvalidInput,
                      "when using COPY with more than one source file, the destination must be a "
                      "directory and end with a /");
  return PlanEntries(ctx, std::move(matches), dest, into_dir, o);
}

core::Result<CopyPlan> PlanEntries(const BuildContext& ctx, std::vector<ContextEntry> matches,
                                   const TargetPath& dest, bool into_dir, const CopyOptions& o) {
  CopyPlan plan;
  for (const auto& m : matches) {
    KILN_TRY(core::CheckCancelled());
    if (m.type == ContextEntry::Type::kDir) {
      std::string base = o.parents ? JoinTarget(dest.path, m.rel) : dest.path;
      plan.dirs_created.push_back(base);
      if (o.parents && !m.rel.empty()) plan.Add({base, m, "", false, false});
      // One entry at a time: the plan's compact record is all that stays.
      KILN_TRY(ctx.WalkEach(m, [&](ContextEntry&& c) -> core::Status {
        std::string rel = RelativeTo(c.rel, m.rel);
        KILN_ASSIGN(bool skip, Excluded(o, rel));
        if (skip) return {};
        CopyItem item{JoinTarget(base, rel), std::move(c), "", false, false};
        if (item.source.type == ContextEntry::Type::kDir) plan.dirs_created.push_back(item.dest);
        plan.Add(item);
        return {};
      }));
      continue;
    }
    KILN_ASSIGN(bool skip, Excluded(o, BaseName(m.rel)));
    if (skip) continue;
    std::string target = o.parents  ? JoinTarget(dest.path, m.rel)
                         : into_dir ? JoinTarget(dest.path, BaseName(m.rel))
                                    : dest.path;
    if (into_dir) plan.dirs_created.push_back(dest.path);
    plan.Add({target, m, "", false, false});
  }
  return plan;
}

void CopyPlan::Add(const CopyItem& item) {
  const ContextEntry& e = item.source;
  Rec r;
  r.dest = paths_.Add(item.dest);
  r.resolved = paths_.AddSharingBase(e.resolved, r.dest);
  r.link = paths_.strings().Add(e.link_target);
  // The host path: an interned root plus the resolved path (what BuildContext makes), or kept.
  std::string_view host = e.host_path, res = e.resolved;
  std::string_view root;
  bool derived = false;
  if (!host.empty()) {
    if (res.empty()) {
      root = host;
      derived = true;
    } else if (host.size() > res.size() && host.ends_with(res) &&
               host[host.size() - res.size() - 1] == '/') {
      root = host.substr(0, host.size() - res.size() - 1);
      derived = true;
    }
  }
  if (derived) {
    auto it = std::find(roots_.rbegin(), roots_.rend(), root);
    if (it == roots_.rend()) {
      roots_.emplace_back(root);
      r.root = static_cast<uint32_t>(roots_.size());
    } else {
      r.root = static_cast<uint32_t>(roots_.rend() - it);
    }
  } else {
    r.host = paths_.strings().Add(host);
  }
  if (item.from_data || !item.data.empty()) {
    datas_.push_back(item.data);
    r.data = static_cast<uint32_t>(datas_.size());
  }
  r.mode = e.mode;
  r.mtime_nsec = e.mtime_nsec;
  r.nlink = static_cast<uint32_t>(e.nlink);
  r.mtime_sec = e.mtime_sec;
  r.ctime_ns = e.ctime_ns;
  r.size = e.size;
  r.dev = static_cast<uint64_t>(e.dev);
  r.ino = static_cast<uint64_t>(e.ino);
  r.type = e.type;
  r.from_data = item.from_data;
  r.dir_symlink = item.dir_symlink;
  recs_.push_back(r);
}

void CopyPlan::Append(const CopyPlan& other) {
  for (size_t i = 0; i < other.size(); ++i) Add(other.item(i));
  dirs_created.insert(dirs_created.end(), other.dirs_created.begin(), other.dirs_created.end());
}

CopyItem CopyPlan::item(size_t i) const {
  const Rec& r = recs_[i];
  CopyItem item;
  item.dest = paths_.Get(r.dest);
  ContextEntry& e = item.source;
  e.type = r.type;
  e.resolved = paths_.Get(r.resolved);
  if (r.root) {
    e.host_path = roots_[r.root - 1];
    if (!e.resolved.empty()) e.host_path.append("/").append(e.resolved);
  } else {
    e.host_path = paths_.strings().Get(r.host);
  }
  e.mode = r.mode;
  e.size = r.size;
  e.mtime_sec = r.mtime_sec;
  e.mtime_nsec = r.mtime_nsec;
  e.ctime_ns = r.ctime_ns;
  e.dev = r.dev;
  e.ino = r.ino;
  e.nlink = r.nlink;
  e.link_target = paths_.strings().Get(r.link);
  if (r.data) item.data = datas_[r.data - 1];
  item.from_data = r.from_data;
  item.dir_symlink = r.dir_symlink;
  return item;
}

uint64_t CopyPlan::file_size(size_t i) const {
  const Rec& r = recs_[i];
  if (r.from_data) return r.data ? datas_[r.data - 1].size() : 0;
  return r.size;
}

std::pair<uint64_t, uint64_t> PlanFileTotals(const CopyPlan& plan) {
  uint64_t files = 0, bytes = 0;
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan.type(i) != ContextEntry::Type::kFile) continue;
    ++files;
    bytes += plan.file_size(i);
  }
  return {files, bytes};
}

void PlanDigests::Set(size_t i, const core::Digest& d) {
  known[i] = d.algorithm() == "sha256" && core::Sha256FromHex(d.hex(), sha256[i].data());
}

core::Digest PlanDigests::Get(size_t i) const {
  if (!known[i]) return {};
  std::string text = "sha256:";
  core::AppendSha256Hex(sha256[i].data(), text);
  auto d = core::Digest::Parse(text);
  return d ? *d : core::Digest{};
}

PlanDigests KnownDigests(const BuildContext& ctx, const CopyPlan& plan) {
  PlanDigests d;
  d.Resize(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    if (plan.type(i) != ContextEntry::Type::kFile) continue;
    CopyItem item = plan.item(i);
    if (item.from_data) {
      d.Set(i, core::Digest::Sha256Of(item.data));
    } else if (auto known = ctx.KnownDigest(item.source)) {
      d.Set(i, *known);
    } else {
      ++d.unknown_files;
    }
  }
  return d;
}

core::Status HashUnknown(const BuildContext& ctx, const CopyPlan& plan, PlanDigests& d,
                         core::ProgressMeter* meter) {
  if (meter) {
    // Totals over the plan's files; those already known count as done.
    auto [files, bytes] = PlanFileTotals(plan);
    meter->Phase("hashing", files, bytes);
    for (size_t i = 0; i < d.size(); ++i)
      if (plan.type(i) == ContextEntry::Type::kFile && d.has(i)) meter->Add(1, plan.file_size(i));
  }
  if (d.unknown_files == 0) return {};
  // On every core: a fresh runner hashes the whole context, and 30,000 small files is mostly
  // open, read and close, not SHA-256. Items are taken in plan order; when some fail, the error
  // is that of the first failing file in the plan, as hashing them one by one reported: every
  // item before a failed one has been taken (and is finished) before anyone stops. Digests go
  // straight into their own 32 bytes of `d` (no memory per file beyond the plan's, issue 16);
  // the known bits are set afterwards, on this thread.
  size_t n = d.size();
  size_t threads = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxHashThreads);
  threads = std::min<uint64_t>(threads, d.unknown_files);
  auto unknown = [&](size_t i) { return plan.type(i) == ContextEntry::Type::kFile && !d.has(i); };
  std::atomic<size_t> next{0};
  std::atomic<size_t> failed_at{n};
  std::mutex mu;  // the meter and the error
  std::optional<core::Error> error;
  auto worker = [&] {
    // The meter in batches: one lock per 64 files, not per file.
    uint64_t files = 0, bytes = 0;
    auto flush = [&] {
      if (meter && files) meter->Add(files, bytes);
      files = bytes = 0;
    };
    for (;;) {
      size_t i = next.fetch_add(1);
      if (i >= n || i > failed_at.load()) break;
      if (!unknown(i)) continue;
      CopyItem item = plan.item(i);
      core::Status st = core::CheckCancelled();
      if (st) {
        auto digest = ctx.HashFile(item.source);
        if (!digest)
          st = std::unexpected(digest.error());
        else if (digest->algorithm() != "sha256" || !core::Sha256FromHex(digest->hex(), d.sha256[i].data()))
          st = core::Fail(ErrorCode::kInternal, "hashing " + item.source.host_path + ": not a sha256 digest");
      }
      if (!st) {
        std::lock_guard lock(mu);
        if (i < failed_at.load()) {
          failed_at = i;
          error = st.error();
        }
        break;
      }
      ++files;
      bytes += item.source.size;
      if (files == 64) {
        std::lock_guard lock(mu);
        flush();
      }
    }
    std::lock_guard lock(mu);
    flush();
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  // Marked known and memoised here (the context's lock taken without contention). A file the
  // plan names twice (two sources resolving to it) is read twice.
  for (size_t i = 0; i < n && i < failed_at.load(); ++i) {
    if (!unknown(i)) continue;
    d.known[i] = true;
    std::string hex;
    core::AppendSha256Hex(d.sha256[i].data(), hex);
    auto digest = core::Digest::Parse("sha256:" + hex);
    if (digest) ctx.RememberDigest(plan.item(i).source, *digest);
  }
  if (error) return std::unexpected(*error);
  d.unknown_files = 0;
  return {};
}

// One line of the material: destination, type, size and digest or link target, mode (Linux).
void MaterialLine(const CopyPlan& plan, size_t i, const unsigned char* sha256, bool windows,
                  std::string& out) {
  const CopyPlan::Rec& r = plan.recs_[i];
  plan.paths_.AppendTo(r.dest, out);
  switch (r.type) {
    case ContextEntry::Type::kDir: out += " dir"; break;
    case ContextEntry::Type::kSymlink:
      out += " link ";
      out += plan.paths_.strings().Get(r.link);
      break;
    case ContextEntry::Type::kFile:
      out += " file " + std::to_string(plan.file_size(i)) + " ";
      if (sha256) {  // a Digest's ToString; an unknown digest adds nothing
        out += "sha256:";
        core::AppendSha256Hex(sha256, out);
      }
  }
  if (!windows) out += " " + std::to_string(r.mode);
  out += "\n";
}

// The items the digests were gathered for (items appended later, heredocs, are keyed apart).
std::string PlanMaterial(const CopyPlan& plan, const PlanDigests& digests, bool windows) {
  std::string out;
  for (size_t i = 0; i < digests.size(); ++i)
    MaterialLine(plan, i, digests.has(i) ? digests.sha256[i].data() : nullptr, windows, out);
  return out;
}

core::Digest ChainPlan(const core::Digest& parent, std::string_view key_text, const CopyPlan& plan,
                       const PlanDigests& digests, bool windows) {
  // The bytes BuildCache::Chain hashes: parent, '\n', material.
  core::Hasher h;
  h.Update(parent.ToString());
  h.Update("\n", 1);
  h.Update(key_text);
  std::string line;
  for (size_t i = 0; i < digests.size(); ++i) {
    line.clear();
    MaterialLine(plan, i, digests.has(i) ? digests.sha256[i].data() : nullptr, windows, line);
    h.Update(line);
  }
  return h.Finish();
}

core::Result<std::string> PlanMaterial(const BuildContext& ctx, const CopyPlan& plan, bool windows,
                                       core::ProgressMeter* meter) {
  PlanDigests digests = KnownDigests(ctx, plan);
  KILN_TRY(HashUnknown(ctx, plan, digests, meter));
  return PlanMaterial(plan, digests, windows);
}

core::Status AddPlanToTree(const CopyPlan& plan, const CopyOptions& o, layers::LayerTree& tree) {
  tree.Reserve(plan.size());
  for (size_t index = 0; index < plan.size(); ++index) {
    CopyItem item = plan.item(index);
    const ContextEntry& e = item.source;
    std::string name = LayerPath(o.windows, item.dest);
    layers::EntryMeta meta = o.meta;
    if (!meta.mode && !o.windows) meta.mode = e.mode;
    if (!item.from_data) meta.mtime = layers::TarTime{e.mtime_sec, e.mtime_nsec};
    switch (e.type) {
      case ContextEntry::Type::kDir:
        KILN_TRY(tree.AddDirectory(name, meta));
        break;
      case ContextEntry::Type::kSymlink:
        KILN_TRY(tree.AddSymlink(name, e.link_target, meta, item.dir_symlink));
        break;
      case ContextEntry::Type::kFile:
        if (item.from_data) {
          KILN_TRY(tree.AddData(name, item.data, meta));
        } else {
          // Mode and time travel in the HostFileInfo, so the files of a COPY share one set of
          // overrides (--chown/--chmod) instead of a per-file EntryMeta (issue 16).
          layers::HostFileInfo info{e.mode, layers::TarTime{e.mtime_sec, e.mtime_nsec}, e.dev,
                                    e.ino, e.nlink, std::nullopt};
          KILN_TRY(tree.AddFile(name, e.host_path, o.meta, info, static_cast<uint32_t>(index)));
        }
        break;
    }
  }
  return {};
}

}  // namespace kiln::builder

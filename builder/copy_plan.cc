#include "builder/copy_plan.h"

#include "core/cancel.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

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
      if (o.parents && !m.rel.empty()) plan.items.push_back({base, m, "", false, false});
      KILN_ASSIGN(auto children, ctx.Walk(m));
      for (auto& c : children) {
        std::string rel = RelativeTo(c.rel, m.rel);
        KILN_ASSIGN(bool skip, Excluded(o, rel));
        if (skip) continue;
        CopyItem item{JoinTarget(base, rel), std::move(c), "", false, false};
        if (item.source.type == ContextEntry::Type::kDir) plan.dirs_created.push_back(item.dest);
        plan.items.push_back(std::move(item));
      }
      continue;
    }
    KILN_ASSIGN(bool skip, Excluded(o, BaseName(m.rel)));
    if (skip) continue;
    std::string target = o.parents  ? JoinTarget(dest.path, m.rel)
                         : into_dir ? JoinTarget(dest.path, BaseName(m.rel))
                                    : dest.path;
    if (into_dir) plan.dirs_created.push_back(dest.path);
    plan.items.push_back({target, m, "", false, false});
  }
  return plan;
}

std::pair<uint64_t, uint64_t> PlanFileTotals(const CopyPlan& plan) {
  uint64_t files = 0, bytes = 0;
  for (const auto& item : plan.items) {
    if (item.source.type != ContextEntry::Type::kFile) continue;
    ++files;
    bytes += item.from_data ? item.data.size() : item.source.size;
  }
  return {files, bytes};
}

PlanDigests KnownDigests(const BuildContext& ctx, const CopyPlan& plan) {
  PlanDigests d;
  d.of.resize(plan.items.size());
  for (size_t i = 0; i < plan.items.size(); ++i) {
    const CopyItem& item = plan.items[i];
    if (item.source.type != ContextEntry::Type::kFile) continue;
    if (item.from_data) {
      d.of[i] = core::Digest::Sha256Of(item.data);
    } else if (auto known = ctx.KnownDigest(item.source)) {
      d.of[i] = std::move(*known);
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
    for (size_t i = 0; i < d.of.size(); ++i) {
      const CopyItem& item = plan.items[i];
      if (item.source.type == ContextEntry::Type::kFile && !d.of[i].empty())
        meter->Add(1, item.from_data ? item.data.size() : item.source.size);
    }
  }
  for (size_t i = 0; i < plan.items.size() && d.unknown_files > 0; ++i) {
    const CopyItem& item = plan.items[i];
    if (item.source.type != ContextEntry::Type::kFile || !d.of[i].empty()) continue;
    KILN_TRY(core::CheckCancelled());
    KILN_ASSIGN(d.of[i], ctx.FileDigest(item.source));
    --d.unknown_files;
    if (meter) meter->Add(1, item.source.size);
  }
  return {};
}

namespace {

// One line of the material: destination, type, size and digest or link target, mode (Linux).
void MaterialLine(const CopyItem& item, const core::Digest& digest, bool windows,
                  std::string& out) {
  const ContextEntry& e = item.source;
  out += item.dest;
  switch (e.type) {
    case ContextEntry::Type::kDir: out += " dir"; break;
    case ContextEntry::Type::kSymlink: out += " link " + e.link_target; break;
    case ContextEntry::Type::kFile:
      out += " file " + std::to_string(item.from_data ? item.data.size() : e.size) + " ";
      out += digest.ToString();
  }
  if (!windows) out += " " + std::to_string(e.mode);
  out += "\n";
}

}  // namespace

// The items the digests were gathered for (items appended later, heredocs, are keyed apart).
std::string PlanMaterial(const CopyPlan& plan, const PlanDigests& digests, bool windows) {
  std::string out;
  for (size_t i = 0; i < digests.of.size(); ++i) MaterialLine(plan.items[i], digests.of[i], windows, out);
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
  for (size_t i = 0; i < digests.of.size(); ++i) {
    line.clear();
    MaterialLine(plan.items[i], digests.of[i], windows, line);
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
  for (const auto& item : plan.items) {
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
          layers::HostFileInfo info{e.mode, layers::TarTime{e.mtime_sec, e.mtime_nsec}, e.dev,
                                    e.ino, e.nlink, std::nullopt};
          KILN_TRY(tree.AddFile(name, e.host_path, meta, info));
        }
        break;
    }
  }
  return {};
}

}  // namespace kiln::builder

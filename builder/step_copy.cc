// Layer steps that need no container: COPY, ADD (local files, archives, URLs) and WORKDIR.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "builder/copy_plan.h"
#include "builder/stage_builder.h"
#include "builder/target_path.h"
#include "layers/layer_tree.h"
#include "parser/expand.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string DirKey(bool windows, const std::string& target) {
  return windows ? Lower(target) : target;
}

core::Result<uint32_t> ParseOctal(std::string_view s) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 8);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 07777)
    return core::Fail(ErrorCode::kInvalidInput, "invalid --chmod value \"" + std::string(s) +
                                                    "\": expected octal permission bits such as 0755");
  return v;
}

core::Result<uint32_t> ParseId(std::string_view s, std::string_view what) {
  uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s == "root") return 0u;
  if (s.empty() || ec != std::errc() || p != s.data() + s.size())
    return core::Fail(ErrorCode::kUnsupported,
                      "--chown " + std::string(what) + " \"" + std::string(s) +
                          "\": kiln resolves only numeric ids (and root) without running the image; "
                          "use --chown=UID:GID");
  return v;
}

// --chown/--chmod -> entry metadata, per target OS.
core::Result<layers::EntryMeta> OwnerMeta(bool windows, const std::string& chown,
                                          const std::string& chmod) {
  layers::EntryMeta meta;
  if (windows) {
    if (!chmod.empty())
      return core::Fail(ErrorCode::kUnsupported, "--chmod is not supported for Windows images");
    std::string who = Lower(chown);
    if (who == "containeradministrator" || who == "administrator" || who == "administrators")
      meta.windows_owner = layers::windows::Owner::kAdministrators;
    else if (who.empty() || who == "containeruser" || who == "users")
      meta.windows_owner = layers::windows::Owner::kUsers;
    else
      return core::Fail(ErrorCode::kUnsupported,
                        "--chown=" + chown + " is not supported for Windows images (use "
                                             "ContainerUser or ContainerAdministrator)");
    return meta;
  }
  if (!chmod.empty()) {
    KILN_ASSIGN(uint32_t mode, ParseOctal(chmod));
    meta.mode = mode;
  }
  if (!chown.empty()) {
    auto colon = chown.find(':');
    KILN_ASSIGN(uint32_t uid, ParseId(chown.substr(0, colon), "user"));
    uint32_t gid = uid;
    if (colon != std::string::npos) {
      KILN_ASSIGN(gid, ParseId(chown.substr(colon + 1), "group"));
    }
    meta.uid = uid;
    meta.gid = gid;
  }
  return meta;
}

}  // namespace

core::Status StageBuilder::Workdir(const parser::WorkdirInstruction& i) {
  KILN_ASSIGN(parser::WorkdirInstruction w, Expanded(i));
  KILN_ASSIGN(std::string wd, NormalizeWorkdir(state_.windows(), state_.config.config.working_dir, w.path));
  state_.config.config.working_dir = wd;
  KILN_ASSIGN(TargetPath target, ResolveDestination(state_.windows(), "", wd));
  // Linux images with layers below: the directory may exist there with its own mode and owner
  // (WORKDIR /tmp must not turn 1777 into 0755), and kiln does not read base layers for COPY-only
  // work. So no layer: a later RUN creates the directory only if it is missing (runc makes the
  // working directory), as BuildKit's mkdir-if-missing does; COPY destinations create their
  // own parents.
  bool lower_may_have_it = !state_.windows() && !state_.layers.empty();
  if (lower_may_have_it || state_.known_dirs.count(DirKey(state_.windows(), target.path))) {
    Metadata(i, "WORKDIR " + wd);
    return {};
  }
  core::Digest key = BuildCache::Chain(state_.key, "WORKDIR " + wd);
  std::string created_by = i.original;
  if (auto hit = session_.LookupCache(key, state_.platform())) {
    AppendLayer(hit->layer, created_by, key, hit->origin);
    state_.known_dirs.insert(DirKey(state_.windows(), target.path));
    End(true);
    return {};
  }
  layers::LayerTree tree(state_.windows() ? layers::LayerFlavor::kWindows : layers::LayerFlavor::kLinux);
  layers::EntryMeta meta;
  if (state_.windows()) meta.windows_owner = layers::windows::Owner::kUsers;
  if (target.path != "/") KILN_TRY(tree.AddDirectory(LayerName(state_.windows(), target.path), meta));
  KILN_ASSIGN(auto layer, CommitLayer(tree, LayerOptionsFor(state_.windows()), session_.store()));
  KILN_TRY(session_.cache().Record(key, {layer.blob, layer.diff_id, layer.tar_size}));
  AppendLayer({layer.blob, layer.diff_id, layer.tar_size}, created_by, key);
  state_.known_dirs.insert(DirKey(state_.windows(), target.path));
  End(false);
  return {};
}

layers::LayerOptions StageBuilder::LayerOptionsFor(bool windows) const {
  layers::LayerOptions o;
  o.flavor = windows ? layers::LayerFlavor::kWindows : layers::LayerFlavor::kLinux;
  auto kind = layers::ParseCompression(session_.options().compression);
  o.compression.kind = kind ? *kind : core::media::Compression::kGzip;
  o.compression.level = session_.options().compression_level;
  o.source_date_epoch = session_.options().source_date_epoch;
  o.windows_acl = session_.options().windows_acl;
  // --sbom: the file list and sha256 of every layer, recorded as it is written.
  if (session_.options().attest.sbom) o.file_hook = session_.layer_files().Hook();
  return o;
}

core::Result<CopyOptions> StageBuilder::MakeCopyOptions(const std::string& chown,
                                                        const std::string& chmod, bool parents,
                                                        const std::vector<std::string>& exclude) {
  CopyOptions options;
  options.windows = state_.windows();
  options.parents = parents;
  KILN_ASSIGN(options.meta, OwnerMeta(options.windows, chown, chmod));
  if (!exclude.empty()) {
    KILN_ASSIGN(options.exclude, parser::IgnoreMatcher::Create(exclude));
  }
  return options;
}

bool StageBuilder::UseCached(const parser::InstructionBase& i, const core::Digest& key) {
  auto hit = session_.LookupCache(key, state_.platform());
  if (!hit) return false;
  AppendLayer(hit->layer, i.original, key, hit->origin);
  End(true);
  return true;
}

void StageBuilder::RememberDirs(const TargetPath& dest, const CopyPlan* plan) {
  bool windows = state_.windows();
  if (dest.is_dir) state_.known_dirs.insert(DirKey(windows, dest.path));
  if (plan)
    for (const auto& d : plan->dirs_created) state_.known_dirs.insert(DirKey(windows, d));
}

core::Status StageBuilder::CommitPlan(const parser::InstructionBase& i, const CopyPlan& plan,
                                      const CopyOptions& options, const core::Digest& key) {
  layers::LayerTree tree(options.windows ? layers::LayerFlavor::kWindows
                                         : layers::LayerFlavor::kLinux);
  KILN_TRY(AddPlanToTree(plan, options, tree));
  auto [files, bytes] = PlanFileTotals(plan);
  meter_->Phase("writing layer", files, bytes);
  KILN_ASSIGN(auto layer, CommitLayer(tree, LayerOptionsFor(options.windows), session_.store(),
                                      nullptr, meter_.get()));
  KILN_TRY(session_.cache().Record(key, {layer.blob, layer.diff_id, layer.tar_size}));
  AppendLayer({layer.blob, layer.diff_id, layer.tar_size}, i.original, key);
  End(false);
  return {};
}

core::Status StageBuilder::CommitPlanHashing(const parser::InstructionBase& i,
                                             const BuildContext& ctx, const CopyPlan& plan,
                                             const CopyOptions& options, PlanDigests digests,
                                             const std::string& key_text) {
  bool windows = options.windows;
  // Files the memo does not know, by plan index (the tree hands each file's index back).
  std::vector<bool> unknown(digests.size());
  for (size_t n = 0; n < digests.size(); ++n)
    unknown[n] = plan.type(n) == ContextEntry::Type::kFile && !plan.from_data(n) && !digests.has(n);
  auto on_file = [&](uint32_t n, const std::string&, const core::Digest& d) {
    if (n < unknown.size() && unknown[n]) digests.Set(n, d);
  };
  // Hashed while written: the writer's count is the step's progress (no separate hashing phase).
  // The tree lives only while the layer is written.
  auto write = [&]() -> core::Result<layers::LayerResult> {
    layers::LayerTree tree(windows ? layers::LayerFlavor::kWindows : layers::LayerFlavor::kLinux);
    KILN_TRY(AddPlanToTree(plan, options, tree));
    auto [files, bytes] = PlanFileTotals(plan);
    meter_->Phase("writing layer", files, bytes);
    return CommitLayer(tree, LayerOptionsFor(windows), session_.store(), on_file, meter_.get());
  };
  KILN_ASSIGN(auto layer, write());
  // Memoise what was hashed. What the writer did not read (hard-link repeats, a destination
  // named twice) is looked up or read now: the memo knows a file another item named.
  digests.unknown_files = 0;
  for (size_t n = 0; n < digests.size(); ++n) {
    if (!unknown[n]) continue;
    if (!digests.has(n))
      ++digests.unknown_files;
    else
      ctx.RememberDigest(plan.item(n).source, digests.Get(n));
  }
  KILN_TRY(HashUnknown(ctx, plan, digests));
  core::Digest key = ChainPlan(state_.key, key_text, plan, digests, windows);
  // The key may still have a record (when MayHit could not know of it): the recorded layer
  // wins, as it would have on the hashing-first path.
  if (UseCached(i, key)) return {};
  KILN_TRY(session_.cache().Record(key, {layer.blob, layer.diff_id, layer.tar_size}));
  AppendLayer({layer.blob, layer.diff_id, layer.tar_size}, i.original, key);
  End(false);
  return {};
}

core::Status StageBuilder::CopyFiles(const parser::InstructionBase& i, const std::string& from,
                                     const parser::SourcesAndDest& files, const std::string& chown,
                                     const std::string& chmod, bool parents,
                                     const std::vector<std::string>& exclude,
                                     std::string_view keyword) {
  bool windows = state_.windows();
  KILN_ASSIGN(TargetPath dest,
              ResolveDestination(windows, state_.config.config.working_dir, files.dest));
  KILN_ASSIGN(CopyOptions options, MakeCopyOptions(chown, chmod, parents, exclude));
  std::string flags = std::string(keyword) + " chown=" + chown + " chmod=" + chmod +
                      " parents=" + (parents ? "1" : "0") + " dest=" + dest.path +
                      (dest.is_dir ? "/" : "");
  for (const auto& e : exclude) flags += " exclude=" + e;
  for (const auto& s : files.source_paths) flags += " src=" + s;
  bool known_dir = state_.known_dirs.count(DirKey(windows, dest.path)) > 0;

  // The source tree: the build context, a staging tree (ADD), a named context directory, or
  // a flattened stage/image.
  std::unique_ptr<BuildContext> owned;
  const BuildContext* ctx = &session_.context();
  std::optional<ImageState> source_state;
  if (!from.empty()) {
    KILN_ASSIGN(auto src, FromSource(from, i.range));
    if (src.state) {
      source_state = std::move(src.state);
      flags += " from=" + source_state->key.ToString();
      options.source_is_stage = source_state->windows();
    } else {
      owned = std::move(src.dir);
      ctx = owned.get();
      flags += " from-dir=" + ctx->root();
    }
  }
  std::string heredocs;
  for (const auto& c : files.source_contents)
    heredocs += "heredoc " + c.path + " " + core::Digest::Sha256Of(c.data).ToString() + "\n";
  // From a stage, its state key identifies the content: a cache hit needs no unpacking.
  std::optional<CopyPlan> plan;
  core::Digest key;
  if (source_state) {
    key = BuildCache::Chain(state_.key, flags + "\n" + heredocs);
    if (UseCached(i, key)) {
      RememberDirs(dest, nullptr);
      return {};
    }
    KILN_ASSIGN(std::string dir, session_.Flatten(*source_state));
    KILN_ASSIGN(owned, BuildContext::Open(dir, {}, ""));
    ctx = owned.get();
  }
  if (!files.source_paths.empty()) {
    KILN_ASSIGN(plan, PlanCopy(*ctx, files.source_paths, dest, known_dir, options));
  } else {
    plan.emplace();
  }
  // Context sources: digests the memo knows are free; the others are read either before the
  // key (a record may match: hash first, so a hit writes nothing) or, when no earlier build
  // recorded this step's prefix (so no record can match), while the layer is written.
  std::optional<PlanDigests> hash_while_writing;
  if (!source_state) {
    std::string key_text = flags + "\n" + heredocs;
    core::Digest prefix = BuildCache::Chain(state_.key, key_text);
    PlanDigests digests = KnownDigests(*ctx, *plan);
    if (digests.unknown_files > 0 && !session_.MayHitCache(prefix)) {
      hash_while_writing = std::move(digests);
    } else {
      KILN_TRY(HashUnknown(*ctx, *plan, digests, meter_.get()));
      key = ChainPlan(state_.key, key_text, *plan, digests, windows);
      if (UseCached(i, key)) {
        RememberDirs(dest, &*plan);
        return {};
      }
    }
    KILN_TRY(session_.cache().RecordPrefix(prefix));
  }
  for (const auto& c : files.source_contents) {
    CopyItem item;
    item.dest = dest.is_dir || known_dir ? JoinTarget(dest.path, c.path) : dest.path;
    item.source.type = ContextEntry::Type::kFile;
    item.source.mode = 0644;
    item.data = c.data;
    item.from_data = true;
    plan->Add(item);
  }
  if (hash_while_writing) {
    KILN_TRY(CommitPlanHashing(i, *ctx, *plan, options, std::move(*hash_while_writing),
                               flags + "\n" + heredocs));
    RememberDirs(dest, &*plan);
    return {};
  }
  KILN_TRY(CommitPlan(i, *plan, options, key));
  RememberDirs(dest, &*plan);
  return {};
}

core::Status StageBuilder::Copy(const parser::CopyInstruction& i) {
  KILN_ASSIGN(parser::CopyInstruction c, Expanded(i));
  return CopyFiles(i, c.from, c.files, c.chown, c.chmod, c.parents, c.exclude, "COPY");
}

}  // namespace kiln::builder

namespace kiln::builder {

core::Result<StageBuilder::FromTree> StageBuilder::FromSource(const std::string& from,
                                                              const core::SourceRange& where) {
  FromTree out;
  if (graph_.FindStage(from, stage_.index)) {
    KILN_ASSIGN(out.state, StageResult(from, where));
    return out;
  }
  for (const auto& c : session_.options().contexts) {
    if (c.name == from && c.kind == ContextOverride::Kind::kLocalDir) {
      KILN_ASSIGN(out.dir, BuildContext::Open(c.value, {}, ""));
      return out;
    }
  }
  auto base = session_.images().Resolve(from, platform_);
  if (!base) return core::Fail(base.error().Wrap("COPY --from=" + from));
  ImageState s;
  s.config = std::move(base->config);
  s.layers = base->layers;
  s.origins.assign(base->layers.size(), base->origin);
  s.key = BuildCache::Chain(core::Digest{}, "image " + base->manifest_desc.digest.ToString());
  out.state = std::move(s);
  return out;
}

}  // namespace kiln::builder

// RUN: the step runs in a process-isolated container on a snapshot of the stage's layers
// (Executor + Snapshotter seams); the snapshot's diff becomes the step's layer.
#include <atomic>
#include <cstdlib>
#include <mutex>

#include "builder/cache_mount.h"
#include "builder/output_tail.h"
#include "builder/stage_builder.h"
#include "builder/windows/command_line.h"
#include "core/cancel.h"
#include "core/sys_fs.h"
#include "layers/layer_writer.h"
#include "parser/expand.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string Join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? std::string(sep) : "") + words[i];
  return out;
}

// Opens parent layers for the snapshotter: fetched into the store (verified) when not local.
class StoreLayerOpener : public layers::LayerOpener {
 public:
  StoreLayerOpener(BuildSession& session, const ImageState& state) : session_(session), state_(state) {}
  core::Result<std::unique_ptr<core::Reader>> OpenLayer(const layers::SnapshotLayer& layer) override {
    for (size_t i = 0; i < state_.layers.size(); ++i) {
      if (state_.layers[i].digest != layer.blob.digest) continue;
      KILN_TRY(session_.images().EnsureLocal(layer.blob, state_.origins[i]));
      break;
    }
    return session_.store().Open(layer.blob.digest);
  }

 private:
  BuildSession& session_;
  const ImageState& state_;
};

}  // namespace

core::Status StageBuilder::RunStep(const parser::RunInstruction& i) {
  KILN_ASSIGN(parser::RunInstruction r, Expanded(i));
  Executor* executor = session_.executor();
  layers::Snapshotter* snapshotter = session_.snapshotter();
  if (!executor || !snapshotter)
    return core::Fail(ErrorCode::kUnsupported,
                      "RUN needs a " + std::string(state_.windows() ? "Windows host with process isolation"
                                                                    : "Linux host with runc") +
                          " to build " + platform_.ToString() + " images");

  RunSpec spec;
  spec.stage = stage_.name.empty() ? std::to_string(stage_.index) : stage_.name;  // "(stage N)"
  spec.where = i.range;
  spec.platform = platform_;
  std::string command = Join(r.command.args, " ");
  for (const auto& f : r.command.files) command += "\n" + f.data + f.name;
  if (r.command.prepend_shell) {
    spec.argv = ShellWords();
    spec.argv.push_back(command);
  } else {
    spec.argv = r.command.args;
  }
  // Windows: shell form is SHELL's words (quoted as needed), a space and the command as written;
  // exec form quotes each argument for CommandLineToArgvW, as hcsshim does.
  if (!state_.windows())
    spec.command_line = Join(spec.argv, " ");
  else if (r.command.prepend_shell)
    spec.command_line = windows::WindowsShellCommandLine(ShellWords(), command);
  else
    spec.command_line = windows::JoinWindowsCommandLine(spec.argv);
  spec.env = vars_->RunEnv();
  spec.working_dir = state_.config.config.working_dir.empty()
                         ? (state_.windows() ? "C:\\" : "/")
                         : state_.config.config.working_dir;
  spec.user = state_.config.config.user;
  spec.network_host = r.network == "host";
  spec.timeout = std::chrono::seconds(session_.options().step_timeout_seconds);
  std::string material = "RUN " + core::Json(spec.argv).dump() + " env=" + core::Json(spec.env).dump() +
                         " user=" + spec.user + " wd=" + spec.working_dir +
                         " net=" + r.network + " security=" + r.security;
  for (const auto& m : r.mounts)
    material += " mount=" + m.type + ":" + m.target + ":" + m.from + ":" + m.source + ":" + m.cache_id;
  KILN_ASSIGN(spec.mounts, RunMounts(r, material));
  core::Digest key = BuildCache::Chain(state_.key, material);
  std::string created_by = "RUN " + (r.command.prepend_shell ? spec.command_line : core::Json(spec.argv).dump());
  if (UseCached(i, key)) return {};

  // Unique per step: parallel stages may run the same step on the same base at once.
  static std::atomic<uint64_t> steps{0};
  spec.id = "kiln-" + key.hex().substr(0, 16) + "-" + std::to_string(sys::ProcessId()) + "-" +
            std::to_string(steps++);
  std::vector<layers::SnapshotLayer> parents;
  for (size_t n = 0; n < state_.layers.size(); ++n)
    parents.push_back({state_.layers[n], state_.config.diff_ids[n]});
  StoreLayerOpener opener(session_, state_);
  KILN_ASSIGN(layers::Snapshot snap, snapshotter->Prepare(spec.id, parents, opener));
  struct Cleanup {
    layers::Snapshotter* s;
    const layers::Snapshot& snap;
    ~Cleanup() { (void)s->Remove(snap); }
  } cleanup{snapshotter, snap};
  spec.rootfs = snap.rootfs;
  spec.layer_folders = snap.layer_folders;
  spec.scratch_folder = snap.scratch;

  OutputTail tail(20);
  std::mutex tail_mu;
  auto log = [&](std::string_view chunk) {
    {
      std::lock_guard lock(tail_mu);
      tail.Append(chunk);
    }
    session_.progress().Emit({core::ProgressKind::kLog, task_id_, task_label_, 0, 0, std::string(chunk), 0});
  };
  spec.on_stdout = log;
  spec.on_stderr = log;
  std::vector<CacheMount> caches;
  for (size_t n = 0; n < spec.mounts.size(); ++n) {
    RunMount& m = spec.mounts[n];
    if (m.type != RunMount::Type::kCache) continue;
    KILN_ASSIGN(CacheSharing sharing, ParseCacheSharing(m.sharing.empty() ? "shared" : m.sharing));
    KILN_ASSIGN(CacheMount cache, CacheMount::Acquire(m.source, sharing, m.mode, m.uid, m.gid));
    m.source = cache.path();
    caches.push_back(std::move(cache));
  }
  KILN_ASSIGN(ExitStatus status, executor->Run(spec));
  if (status.timed_out || status.exit_code != 0) return std::unexpected(StepFailure(spec, status, tail));
  KILN_TRY(core::CheckCancelled());
  layers::LayerOptions layer_options = LayerOptionsFor(state_.windows());
  layer_options.emit_windows_roots = false;  // a Windows diff (ExportLayer) has its own Files, Hives
  KILN_ASSIGN(auto writer, layers::LayerWriter::Create(layer_options, session_.store()));
  meter_->Phase("writing layer", 0, 0);
  writer->SetMeter(meter_.get());
  KILN_TRY(snapshotter->Diff(snap, *writer));
  KILN_ASSIGN(layers::LayerResult layer, writer->Finish());
  KILN_TRY(session_.cache().Record(key, {layer.blob, layer.diff_id, layer.tar_size}));
  AppendLayer({layer.blob, layer.diff_id, layer.tar_size}, created_by, key);
  End(false);
  return {};
}

core::Result<std::vector<RunMount>> StageBuilder::RunMounts(const parser::RunInstruction& r,
                                                            std::string& material) {
  std::vector<RunMount> out;
  for (const auto& m : r.mounts) {
    RunMount rm;
    rm.target = m.target;
    rm.read_only = m.read_only;
    if (m.type == "bind") {
      rm.type = RunMount::Type::kBind;
      KILN_TRY(BindSource(m, r.range, rm, material));
    } else if (m.type == "cache") {
      rm.type = RunMount::Type::kCache;
      std::string id = m.cache_id.empty() ? m.target : m.cache_id;
      rm.source = session_.store().cache_dir() + "/mounts/" + core::Digest::Sha256Of(id).hex().substr(0, 32);
      rm.mode = static_cast<uint32_t>(m.mode.value_or(0755));
      rm.uid = static_cast<uint32_t>(m.uid.value_or(0));
      rm.gid = static_cast<uint32_t>(m.gid.value_or(0));
      rm.sharing = m.sharing;
    } else if (m.type == "tmpfs") {
      rm.type = RunMount::Type::kTmpfs;
      rm.size_bytes = static_cast<uint64_t>(m.size_limit);
    } else if (m.type == "secret") {
      rm.type = RunMount::Type::kSecret;
      // BuildKit: the id is source=, else id=, else the target's base name.
      std::string id = !m.source.empty() ? m.source : !m.cache_id.empty() ? m.cache_id : BaseName(m.target);
      const SecretSpec* found = nullptr;
      for (const auto& s : session_.options().secrets)
        if (s.id == id) found = &s;
      const char* env = found && found->src.empty() && !found->env.empty()
                            ? std::getenv(found->env.c_str())
                            : nullptr;
      if (!found || (found->src.empty() && !env)) {
        if (m.required)
          return core::Fail(ErrorCode::kInvalidInput,
                            "secret \"" + id + "\" is required: pass --secret id=" + id +
                                ",src=FILE" +
                                (found && !found->env.empty()
                                     ? " (environment variable " + found->env + " is not set)"
                                     : ""));
        continue;
      }
      if (env)
        rm.data = env;
      else
        rm.source = found->src;
      // BuildKit: with env= the secret is an environment variable, and a file only when a
      // target is given; without env= it is a file, by default /run/secrets/<id>.
      if (m.env) {
        rm.env = *m.env;
        material += " secret-env=" + id + ":" + rm.env;
      } else if (rm.target.empty()) {
        rm.target = "/run/secrets/" + BaseName(id);
      }
      rm.mode = static_cast<uint32_t>(m.mode.value_or(0400));
      rm.uid = static_cast<uint32_t>(m.uid.value_or(0));
      rm.gid = static_cast<uint32_t>(m.gid.value_or(0));
      rm.read_only = true;
    } else {
      return core::Fail(ErrorCode::kUnsupported, "RUN --mount=type=" + m.type + " is not supported by kiln");
    }
    out.push_back(std::move(rm));
  }
  return out;
}

core::Status StageBuilder::BindSource(const parser::RunMount& m, const core::SourceRange& where,
                                      RunMount& rm, std::string& material) {
  // The tree the source is in: the build context (with .dockerignore), a named context
  // directory, or a stage or image flattened to a scratch directory.
  const BuildContext* tree = &session_.context();
  std::unique_ptr<BuildContext> owned;
  bool from_stage = false;
  if (!m.from.empty()) {
    KILN_ASSIGN(auto src, FromSource(m.from, where));
    if (src.state) {
      KILN_ASSIGN(std::string root, session_.Flatten(*src.state));
      KILN_ASSIGN(owned, BuildContext::Open(root, {}, ""));
      // A stage's key identifies its content.
      material += " bind-from=" + src.state->key.ToString();
      from_stage = true;
    } else {
      owned = std::move(src.dir);
    }
    tree = owned.get();
  }
  // Resolved inside the tree (its root is "/", as for COPY): no symlink leads out of it or to
  // an ignored file.
  auto entry = tree->Resolve(m.source);
  if (!entry)
    return core::Fail(entry.error().Wrap("RUN --mount=type=bind,source=" + m.source));
  rm.source = entry->host_path;
  KILN_ASSIGN(rm.hidden, tree->HiddenBelow(*entry));
  if (!rm.hidden.empty() && state_.windows())
    return core::Fail(ErrorCode::kUnsupported,
                      "RUN --mount=type=bind,source=" + m.source +
                          ": files below it are excluded by .dockerignore, and kiln cannot give a "
                          "Windows container a view without them yet; mount a directory that "
                          "holds no excluded file");
  if (from_stage) return {};
  // What the step sees is part of its cache key: the mounted files' paths, modes and content
  // digests (memoised like COPY's), so a changed context file reruns the step.
  {
    CopyPlan view;
    view.Add({"/", *entry, "", false, false});
    if (entry->type == ContextEntry::Type::kDir) {
      KILN_TRY(tree->WalkEach(*entry, [&](ContextEntry&& c) -> core::Status {
        view.Add({"/" + c.rel, std::move(c), "", false, false});
        return {};
      }));
    }
    KILN_ASSIGN(std::string content, PlanMaterial(*tree, view, false));
    material += " bind-content=" + core::Digest::Sha256Of(content).ToString();
  }
  return {};
}

}  // namespace kiln::builder

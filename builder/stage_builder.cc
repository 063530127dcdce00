#include "builder/stage_builder.h"

#include <variant>

#include "core/cancel.h"
#include "parser/dockerfile.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

constexpr const char* kDefaultLinuxPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string Join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) out += (i ? std::string(sep) : "") + words[i];
  return out;
}

bool HasPath(const std::vector<std::string>& env) {
  for (const auto& e : env)
    if (e.rfind("PATH=", 0) == 0) return true;
  return false;
}

}  // namespace

core::Error At(const parser::InstructionBase& i, core::Error error) {
  if (!error.location || !error.location->valid()) error.location = i.range;
  return error;
}

StageBuilder::StageBuilder(BuildSession& session, const BuildGraph& graph, const GraphStage& stage,
                           const core::Platform& platform, const parser::EnvList& global,
                           const std::vector<StageFuture>& stages)
    : session_(session), graph_(graph), stage_(stage), platform_(platform), global_(global),
      stages_(stages) {}

core::Result<ImageState> StageBuilder::StageResult(std::string_view ref, const core::SourceRange& where) {
  auto index = graph_.FindStage(ref, stage_.index);
  if (!index) return core::Fail(ErrorCode::kInvalidInput, "no stage named \"" + std::string(ref) + "\"", where);
  // Every reference in the Dockerfile is an edge of the graph, so only an ONBUILD trigger of a
  // base image can reach a stage the plan pruned (BuildKit adds such stages when it reads the
  // base image; kiln plans before that). Its result would never come: refuse.
  if (!graph_.stages()[*index].needed)
    return core::Fail(ErrorCode::kUnsupported,
                      "an ONBUILD trigger of the base image names " +
                          graph_.stages()[*index].Label() +
                          ", which is not part of this build (kiln plans stages before it reads "
                          "base images): use that stage in a stage the target needs, e.g. "
                          "COPY --from=" + std::string(ref) + " in this Dockerfile",
                      where);
  const core::Result<ImageState>& r = stages_[*index].get();
  if (!r) return core::Fail(ErrorCode::kRuntime, "stage " + std::to_string(*index) + " failed", where);
  return *r;
}

core::Status StageBuilder::Start() {
  const parser::FromInstruction& from = stage_.stage->from;
  if (!stage_.platform.empty()) {
    auto p = core::Platform::Parse(stage_.platform);
    if (!p) return core::Fail(At(from, p.error().Wrap("FROM --platform")));
    platform_ = *p;
  }
  if (stage_.base_stage) {
    KILN_ASSIGN(state_, StageResult(stage_.base, from.range));
    state_.key = BuildCache::Chain(state_.key, "FROM stage");
  } else if (stage_.base == "scratch") {
    if (platform_.is_windows())
      return core::Fail(ErrorCode::kUnsupported,
                        "FROM scratch cannot make a Windows image: Windows images must start with "
                        "a Microsoft base layer (e.g. mcr.microsoft.com/windows/nanoserver)",
                        from.range);
    state_.config.set_platform(platform_);
    state_.config.config.env.push_back(kDefaultLinuxPath);
    state_.key = BuildCache::Chain(core::Digest{}, "scratch " + platform_.ToString());
  } else {
    std::optional<core::Platform> want;
    if (!platform_.os.empty()) want = platform_;
    auto base = session_.images().Resolve(stage_.base, want);
    if (!base) return core::Fail(At(from, base.error()));
    state_.config = std::move(base->config);
    state_.config.extra.erase(std::string(kInlineCacheField));  // a base's cache is not ours
    state_.layers = base->layers;
    state_.origins.assign(base->layers.size(), base->origin);
    state_.base_layers = base->layers.size();
    state_.base_manifest = base->manifest_desc;
    state_.key = BuildCache::Chain(core::Digest{}, "image " + base->manifest_desc.digest.ToString());
    if (!state_.windows() && !HasPath(state_.config.config.env))
      state_.config.config.env.push_back(kDefaultLinuxPath);
    if (state_.config.diff_ids.size() != state_.layers.size())
      return core::Fail(ErrorCode::kInvalidInput,
                        "base image \"" + stage_.base + "\" is malformed: " +
                            std::to_string(state_.layers.size()) + " layers but " +
                            std::to_string(state_.config.diff_ids.size()) + " diff_ids",
                        from.range);
  }
  state_.base_name = stage_.base;
  // The descriptors COPY and ADD write differ by --windows-acl: so do the cache keys.
  if (state_.windows() && session_.options().windows_acl == layers::windows::Acl::kBuiltin)
    state_.key = BuildCache::Chain(state_.key, "windows-acl builtin");
  for (const auto& [k, v] : state_.config.config.labels) label_bytes_ += k.size() + v.size();
  platform_ = state_.config.platform();
  vars_ = std::make_unique<StageVars>(state_.windows(), state_.config.config.env, global_,
                                      session_.args(), session_.dockerfile().escape);
  return {};
}

core::Status StageBuilder::RunOnbuild() {
  std::vector<std::string> triggers = std::move(state_.config.config.on_build);
  state_.config.config.on_build.clear();
  if (triggers.empty()) return {};
  KILN_ASSIGN(auto instructions, parser::ParseOnbuildTriggers(triggers, stage_.stage->from.range));
  for (const auto& i : instructions) KILN_TRY(Dispatch(i));
  return {};
}

core::Result<ImageState> StageBuilder::Run() {
  KILN_TRY(Start());
  KILN_TRY(RunOnbuild());
  for (const auto& instruction : stage_.stage->instructions) {
    KILN_TRY(core::CheckCancelled());
    ++step_;
    Begin(parser::Base(instruction));
    auto status = Dispatch(instruction);
    if (!status) {
      session_.progress().Emit({core::ProgressKind::kError, task_id_, task_label_, 0, 0,
                                status.error().ToString(), 0});
      return std::unexpected(At(parser::Base(instruction), status.error()));
    }
  }
  state_.config.config.env = vars_->ImageEnv();
  return state_;
}

core::Status StageBuilder::Dispatch(const parser::Instruction& instruction) {
  return std::visit(
      [this](const auto& i) -> core::Status {
        using T = std::decay_t<decltype(i)>;
        if constexpr (std::is_same_v<T, parser::EnvInstruction>) return Env(i);
        else if constexpr (std::is_same_v<T, parser::LabelInstruction>) return Label(i);
        else if constexpr (std::is_same_v<T, parser::MaintainerInstruction>) return Maintainer(i);
        else if constexpr (std::is_same_v<T, parser::CopyInstruction>) return Copy(i);
        else if constexpr (std::is_same_v<T, parser::AddInstruction>) return Add(i);
        else if constexpr (std::is_same_v<T, parser::OnbuildInstruction>) return Onbuild(i);
        else if constexpr (std::is_same_v<T, parser::WorkdirInstruction>) return Workdir(i);
        else if constexpr (std::is_same_v<T, parser::RunInstruction>) return RunStep(i);
        else if constexpr (std::is_same_v<T, parser::CmdInstruction>) return Cmd(i);
        else if constexpr (std::is_same_v<T, parser::EntrypointInstruction>) return Entrypoint(i);
        else if constexpr (std::is_same_v<T, parser::HealthcheckInstruction>) return Healthcheck(i);
        else if constexpr (std::is_same_v<T, parser::ExposeInstruction>) return Expose(i);
        else if constexpr (std::is_same_v<T, parser::UserInstruction>) return User(i);
        else if constexpr (std::is_same_v<T, parser::VolumeInstruction>) return Volume(i);
        else if constexpr (std::is_same_v<T, parser::StopSignalInstruction>) return StopSignal(i);
        else if constexpr (std::is_same_v<T, parser::ArgInstruction>) return Arg(i);
        else return Shell(i);
      },
      instruction);
}

void StageBuilder::Begin(const parser::InstructionBase& i) {
  task_id_ = session_.NextTaskId();
  std::string stage = stage_.name.empty() ? "stage-" + std::to_string(stage_.index) : stage_.name;
  task_label_ = "[" + stage + " " + std::to_string(step_) + "/" +
                std::to_string(stage_.stage->instructions.size()) + "] " + i.original;
  task_start_ = std::chrono::steady_clock::now();
  session_.progress().Emit({core::ProgressKind::kStart, task_id_, task_label_, 0, 0, "", 0});
}

void StageBuilder::End(bool cached) {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - task_start_).count();
  session_.progress().Emit({cached ? core::ProgressKind::kCached : core::ProgressKind::kDone,
                            task_id_, task_label_, 0, 0, "", secs});
}

void StageBuilder::Metadata(const parser::InstructionBase& i, std::string_view material) {
  core::HistoryEntry h;
  h.created = core::Rfc3339(session_.created_time());
  h.created_by = i.original;
  h.comment = "kiln";
  h.empty_layer = true;
  state_.config.history.push_back(std::move(h));
  state_.key = BuildCache::Chain(state_.key, material);
  End(false);
}

void StageBuilder::AppendLayer(const CachedLayer& layer, const std::string& created_by,
                               const core::Digest& key, const LayerOrigin& origin) {
  state_.layers.push_back(layer.blob);
  state_.origins.push_back(origin);
  state_.config.diff_ids.push_back(layer.diff_id);
  CacheStepRecord step{key, layer, state_.platform()};
  state_.cache_steps.push_back(step);
  session_.NoteStep(step);
  core::HistoryEntry h;
  h.created = core::Rfc3339(session_.created_time());
  h.created_by = created_by;
  h.comment = "kiln";
  state_.config.history.push_back(std::move(h));
  state_.key = key;
}

std::vector<std::string> StageBuilder::ShellWords() const {
  if (!state_.config.config.shell.empty()) return state_.config.config.shell;
  if (state_.windows()) return {"cmd", "/S", "/C"};
  return {"/bin/sh", "-c"};
}

std::vector<std::string> StageBuilder::CommandForConfig(const parser::CommandLine& c) const {
  if (!c.prepend_shell) return c.args;
  std::string command = Join(c.args, " ");
  if (state_.windows()) return {Join(ShellWords(), " ") + " " + command};
  auto out = ShellWords();
  out.push_back(command);
  return out;
}

}  // namespace kiln::builder

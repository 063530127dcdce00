// Builds one stage of the graph for one platform: starts from its base (image, earlier stage
// or scratch), runs the base's ONBUILD triggers, then each instruction — metadata into the
// config (no layer), COPY/ADD/WORKDIR into layers written from the files, RUN through the
// Executor — reusing cached layers where the cache key matches.
#pragma once

#include <functional>
#include <future>
#include <string>
#include <vector>

#include "builder/build_graph.h"
#include "builder/copy_plan.h"
#include "builder/build_session.h"
#include "builder/image_state.h"
#include "builder/stage_vars.h"
#include "core/error.h"
#include "layers/layer_writer.h"
#include "parser/expand.h"
#include "parser/instructions.h"

namespace kiln::builder {

using StageFuture = std::shared_future<core::Result<ImageState>>;

class StageBuilder {
 public:
  StageBuilder(BuildSession& session, const BuildGraph& graph, const GraphStage& stage,
               const core::Platform& platform, const parser::EnvList& global,
               const std::vector<StageFuture>& stages);

  // Runs the whole stage; errors are located at the failing instruction.
  core::Result<ImageState> Run();

 private:
  // A copy of `i` with the words BuildKit expands expanded (parser::ExpandInstruction).
  template <typename T>
  core::Result<T> Expanded(const T& i) const {
    parser::Instruction v = i;
    KILN_TRY(parser::ExpandInstruction(v, vars_->lookup(), session_.dockerfile().escape));
    return std::get<T>(std::move(v));
  }
  core::Status Start();
  core::Status Dispatch(const parser::Instruction& instruction);
  core::Status RunOnbuild();

  // Metadata steps (step_meta.cc).
  core::Status Env(const parser::EnvInstruction& i);
  core::Status Label(const parser::LabelInstruction& i);
  core::Status Arg(const parser::ArgInstruction& i);
  core::Status User(const parser::UserInstruction& i);
  core::Status Expose(const parser::ExposeInstruction& i);
  core::Status Volume(const parser::VolumeInstruction& i);
  core::Status StopSignal(const parser::StopSignalInstruction& i);
  core::Status Shell(const parser::ShellInstruction& i);
  core::Status Cmd(const parser::CmdInstruction& i);
  core::Status Entrypoint(const parser::EntrypointInstruction& i);
  core::Status Healthcheck(const parser::HealthcheckInstruction& i);
  core::Status Onbuild(const parser::OnbuildInstruction& i);
  core::Status Maintainer(const parser::MaintainerInstruction& i);
  // Layer steps (step_copy.cc, step_run.cc).
  core::Status Workdir(const parser::WorkdirInstruction& i);
  core::Status Copy(const parser::CopyInstruction& i);
  core::Status Add(const parser::AddInstruction& i);
  core::Status RunStep(const parser::RunInstruction& i);

  // Records a metadata step: history (empty_layer) and the state key.
  void Metadata(const parser::InstructionBase& i, std::string_view material);
  // Appends a layer to the state with its history entry.
  // The step is recorded for the cache exporters (--cache-to).
  void AppendLayer(const CachedLayer& layer, const std::string& created_by,
                   const core::Digest& key, const LayerOrigin& origin = {});
  // The shell a shell-form command runs with (SHELL, else cmd /S /C or /bin/sh -c).
  std::vector<std::string> ShellWords() const;
  // Shell form -> config/exec form, per target OS (docker's rules).
  std::vector<std::string> CommandForConfig(const parser::CommandLine& c) const;
  core::Result<ImageState> StageResult(std::string_view ref, const core::SourceRange& where);

  // COPY --from=: an earlier stage or an image (state), or a named context directory (dir).
  struct FromTree {
    std::optional<ImageState> state;
    std::unique_ptr<BuildContext> dir;
  };
  core::Result<FromTree> FromSource(const std::string& from, const core::SourceRange& where);
  // The common part of COPY and ADD (local sources).
  core::Status CopyFiles(const parser::InstructionBase& i, const std::string& from,
                         const parser::SourcesAndDest& files, const std::string& chown,
                         const std::string& chmod, bool parents,
                         const std::vector<std::string>& exclude, std::string_view keyword);
  core::Result<CopyOptions> MakeCopyOptions(const std::string& chown, const std::string& chmod,
                                            bool parents, const std::vector<std::string>& exclude);
  layers::LayerOptions LayerOptionsFor(bool windows) const;
  // Appends the cached layer for `key` if there is one (and ends the step as cached).
  bool UseCached(const parser::InstructionBase& i, const core::Digest& key);
  // Writes `plan` as the step's layer, records it in the cache under `key`, appends it.
  core::Status CommitPlan(const parser::InstructionBase& i, const CopyPlan& plan,
                          const CopyOptions& options, const core::Digest& key);
  // A context COPY whose key no record can match (BuildCache::MayHit false): writes the layer
  // first, hashing each file as the writer reads it (one read per file), then derives the key
  // from `key_text` (what the key covers before the content material) and records it.
  core::Status CommitPlanHashing(const parser::InstructionBase& i, const BuildContext& ctx,
                                 const CopyPlan& plan, const CopyOptions& options,
                                 PlanDigests digests, const std::string& key_text);
  void RememberDirs(const TargetPath& dest, const CopyPlan* plan);
  core::Result<std::string> ScratchFor(std::string_view purpose);
  // The step's mounts, sources resolved inside their trees; appends to `material` what the
  // cache key needs beyond the instruction text (the content of bind mounts, secret env names).
  core::Result<std::vector<RunMount>> RunMounts(const parser::RunInstruction& r,
                                                std::string& material);
  // A bind mount's source resolved in its tree (context, named context, stage) into `rm`.
  core::Status BindSource(const parser::RunMount& m, const core::SourceRange& where, RunMount& rm,
                          std::string& material);
  core::Result<core::Digest> Download(const std::string& url, const std::string& path,
                                      const std::string& checksum);

  void Begin(const parser::InstructionBase& i);
  void End(bool cached);

  BuildSession& session_;
  const BuildGraph& graph_;
  const GraphStage& stage_;
  core::Platform platform_;
  const parser::EnvList& global_;
  const std::vector<StageFuture>& stages_;
  ImageState state_;
  std::unique_ptr<StageVars> vars_;
  size_t label_bytes_ = 0;  // keys and values of state_.config.config.labels
  // Fails when ENV, ARG and LABEL values of the stage exceed parser::kMaxExpansionBytes.
  core::Status CheckScopeSize() const;
  // progress of the current step
  std::string task_id_;
  std::string task_label_;
  std::chrono::steady_clock::time_point task_start_;
  size_t step_ = 0;
};

// A located error for instruction `i` (keeps an existing location).
core::Error At(const parser::InstructionBase& i, core::Error error);

}  // namespace kiln::builder

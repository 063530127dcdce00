#include "builder/builder.h"

#include <algorithm>
#include <future>
#include <set>

#include "builder/attestation.h"
#include "builder/build_graph.h"
#include "builder/build_session.h"
#include "builder/image_output.h"
#include "builder/run_support.h"
#include "builder/stage_builder.h"
#include "builder/stage_vars.h"
#include "builder/store_open.h"
#include "core/cancel.h"
#include "layers/fs_util.h"
#include "parser/dockerfile.h"
#include "parser/ignore_matcher.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

struct Inputs {
  std::string dockerfile_path;
  std::string display_name;
  core::Digest dockerfile_digest;
  parser::Dockerfile dockerfile;
  IgnoreRules ignore;
};

core::Result<Inputs> ReadInputs(const BuildOptions& o) {
  Inputs in;
  in.dockerfile_path = o.dockerfile.empty() ? o.context_dir + "/Dockerfile" : o.dockerfile;
  in.display_name = o.dockerfile.empty() ? "Dockerfile" : o.dockerfile;
  KILN_ASSIGN(std::string text, parser::ReadDockerfile(in.dockerfile_path));
  in.dockerfile_digest = core::Digest::Sha256Of(text);
  KILN_ASSIGN(in.dockerfile, parser::ParseDockerfile(text, in.display_name));
  std::vector<parser::IgnoreCandidate> candidates;
  for (const auto& path : parser::DockerignoreCandidates(in.dockerfile_path, o.context_dir)) {
    auto content = layers::ReadFileToString(path, 16 << 20);
    candidates.push_back({path, content ? std::optional<std::string>(*content) : std::nullopt});
  }
  if (auto file = parser::SelectDockerignore(candidates)) {
    auto matcher = parser::IgnoreMatcher::Create(file->patterns);
    if (!matcher) return core::Fail(matcher.error().Wrap(file->path));
    auto shared = std::make_shared<parser::IgnoreMatcher>(std::move(*matcher));
    in.ignore.has_exceptions = shared->HasExclusions();
    in.ignore.matcher = shared;
    in.ignore.excluded = [shared](std::string_view rel) {
      auto r = shared->Matches(rel);
      return r && *r;
    };
  }
  return in;
}

// Without --platform: the platform of the target stage's base image (following FROM <stage>),
// or the host's Linux platform for scratch.
core::Result<core::Platform> DefaultPlatform(const parser::Dockerfile& df, BuildArgs& args,
                                             const BuildOptions& o, ImageSource& images) {
  core::Platform host = core::Platform::HostLinux();
  auto platform_of = [&](const core::Platform& assumed) -> core::Result<core::Platform> {
    KILN_ASSIGN(parser::EnvList global,
                GlobalScope(df.meta_args, args, host, assumed, o.target, df.escape));
    KILN_ASSIGN(BuildGraph graph, BuildGraph::Make(df, global, o.target));
    const GraphStage* s = &graph.target();
    while (s->base_stage) s = &graph.stages()[*s->base_stage];
    if (!s->platform.empty()) return core::Platform::Parse(s->platform);
    if (s->base == "scratch") return assumed;
    auto base = images.Resolve(s->base, std::nullopt);
    if (!base) return core::Fail(base.error().code, base.error().message, s->stage->from.range);
    return base->config.platform();
  };
  // Meta-ARG names compare case-insensitively for Windows targets, and the target is what we
  // are looking for: read the graph with Linux rules first; when that fails, a Windows reading
  // counts if it leads to a Windows image (`ARG img=...` + `FROM $IMG`).
  auto linux_reading = platform_of(host);
  if (linux_reading) return linux_reading;
  core::Platform windows = host;
  windows.os = "windows";
  auto windows_reading = platform_of(windows);
  if (windows_reading && windows_reading->is_windows()) return windows_reading;
  return linux_reading;
}

// Builds every needed stage of `graph` (independent ones in parallel) and returns the target's.
core::Result<ImageState> BuildStages(BuildSession& session, const BuildGraph& graph,
                                     const core::Platform& platform, const parser::EnvList& global) {
  std::vector<std::promise<core::Result<ImageState>>> promises(graph.stages().size());
  std::vector<StageFuture> futures;
  for (auto& p : promises) futures.push_back(p.get_future().share());
  std::vector<std::thread> threads;
  for (size_t index : graph.Order()) {
    threads.emplace_back([&, index] {
      StageBuilder builder(session, graph, graph.stages()[index], platform, global, futures);
      promises[index].set_value(builder.Run());
    });
  }
  for (auto& t : threads) t.join();
  // Report the first stage that failed on its own (later ones only say "stage N failed").
  for (size_t index : graph.Order()) {
    const auto& r = futures[index].get();
    if (!r && r.error().message.find("stage ") != 0) return std::unexpected(r.error());
  }
  const auto& target = futures[graph.target().index].get();
  if (!target) return std::unexpected(target.error());
  return *target;
}

// --print-graph: the graph of every requested platform; touches neither store nor context.
core::Result<BuildResult> PrintGraphs(const BuildOptions& options, const Inputs& in) {
  BuildArgs args(options.build_args);
  std::vector<core::Platform> platforms = options.platforms;
  if (platforms.empty()) platforms.push_back(core::Platform::HostLinux());
  BuildResult result;
  for (const auto& platform : platforms) {
    KILN_ASSIGN(parser::EnvList global,
                GlobalScope(in.dockerfile.meta_args, args, core::Platform::HostLinux(), platform,
                            options.target, in.dockerfile.escape));
    KILN_ASSIGN(BuildGraph graph, BuildGraph::Make(in.dockerfile, global, options.target));
    result.graph += graph.Dump(options.platforms.empty() ? "(default)" : platform.ToString());
  }
  return result;
}

}  // namespace

core::Result<BuildResult> Build(const BuildOptions& options) {
  KILN_ASSIGN(Inputs in, ReadInputs(options));
  if (options.print_graph) return PrintGraphs(options, in);
  KILN_ASSIGN(auto store, OpenStore(options.store_root));
  BuildArgs args(options.build_args);
  ImageSource images(*store, options);
  KILN_ASSIGN(auto context, BuildContext::Open(options.context_dir, in.ignore,
                                               store->cache_dir() + "/context/" +
                                                   core::Digest::Sha256Of(options.context_dir).hex() + ".json"));
  std::vector<core::Platform> platforms = options.platforms;
  if (platforms.empty()) {
    KILN_ASSIGN(core::Platform p, DefaultPlatform(in.dockerfile, args, options, images));
    platforms.push_back(p);
  }
  BuildSession session(options, *store, in.dockerfile, *context, images, args);
  std::vector<std::pair<core::Platform, ImageState>> built;
  BuildResult result;
  if (!options.cache_from.empty() && !options.no_cache)
    session.imports().Load(options.cache_from, images.client(), *store, session.progress(), result.warnings);
  for (const auto& platform : platforms) {
    KILN_TRY(core::CheckCancelled());
    core::Platform host = core::Platform::HostLinux();
    KILN_ASSIGN(parser::EnvList global,
                GlobalScope(in.dockerfile.meta_args, args, host, platform, options.target,
                            in.dockerfile.escape));
    KILN_ASSIGN(BuildGraph graph, BuildGraph::Make(in.dockerfile, global, options.target));
    KILN_TRY(PrepareRunSupport(session, graph, platform));
    if (session.executor() && result.isolation.empty())
      result.isolation = session.executor()->IsolationChosen();
    KILN_ASSIGN(ImageState state, BuildStages(session, graph, platform, global));
    built.emplace_back(platform, std::move(state));
  }
  for (const auto& name : args.Unconsumed())
    result.warnings.push_back("build argument " + name + " was not consumed by any ARG");
  // On a second thread while the outputs are written: provenance's context digest, then the
  // context memo (what makes the next build's context hashing cheap): at 30,000 files each is
  // tens of ms on one core while the other would idle. The memo is a cache: when it cannot be
  // written, the build warns and the next one hashes the context again.
  bool provenance = EffectiveProvenance(options) != ProvenanceMode::kOff;
  std::promise<core::Digest> read_files;
  std::shared_future<core::Digest> read_files_digest = read_files.get_future().share();
  AttestationInputs attest{in.display_name, in.dockerfile_digest, {}};
  if (provenance) attest.context_digest = [read_files_digest] { return read_files_digest.get(); };
  auto memo = std::async(std::launch::async, [&context, &read_files, provenance] {
    if (provenance) read_files.set_value(context->ReadFilesDigest());
    return context->SaveMemo();
  });
  core::Status written = WriteOutputs(session, built, result, attest);
  if (core::Status saved = memo.get(); !saved)
    result.warnings.push_back("the context memo was not saved (the next build hashes the context again): " +
                              saved.error().ToString());
  KILN_TRY(written);
  return result;
}

}  // namespace kiln::builder

#include "builder/run_support.h"

#include "builder/host_executor.h"
#include "builder/windows/hcs_executor.h"
#include "layers/host_snapshotter.h"

namespace kiln::builder {

core::Status PrepareRunSupport(BuildSession& session, const BuildGraph& graph,
                               const core::Platform& target) {
  const parser::RunInstruction* first = nullptr;
  const GraphStage* stage = nullptr;
  core::Platform platform = target;
  for (size_t index : graph.Order()) {
    const GraphStage& s = graph.stages()[index];
    for (const auto& i : s.stage->instructions) {
      if (auto* r = std::get_if<parser::RunInstruction>(&i)) {
        core::Platform p = target;
        if (!s.platform.empty()) {
          if (auto parsed = core::Platform::Parse(s.platform)) p = *parsed;
        }
        // A Windows RUN anywhere decides: it is what a Linux host cannot do.
        if (!first || (p.is_windows() && !platform.is_windows())) {
          first = r;
          stage = &s;
          platform = p;
        }
        break;
      }
    }
  }
  if (!first) return {};
  if (session.executor()) return {};
  const BuildOptions& options = session.options();
  if (options.isolation != Isolation::kAuto && !platform.is_windows()) {
    core::Error e{core::ErrorCode::kInvalidInput,
                  "--isolation " + std::string(IsolationName(options.isolation)) +
                      " applies to Windows RUN steps; RUN in " + stage->Label() + " (" +
                      platform.ToString() + ") runs in a Linux container",
                  std::nullopt};
    e.location = first->range;
    return std::unexpected(e);
  }
  HostExecutorOptions host_options;
  host_options.isolation = options.isolation;
  host_options.utility_vm = options.utility_vm;
  auto executor = options.make_executor ? options.make_executor()
                                        : MakeHostExecutor(session.store().root(), host_options);
  auto preflight = executor->Preflight(platform);
  if (!preflight) {
    // One line that says each thing once: which RUN, then what this host lacks. The executors'
    // messages name the image's platform or build themselves where it matters.
    const bool hcs = executor->Name() == windows::HcsExecutor::kName ||
                     executor->Name() == windows::HcsExecutor::kHyperVName;
    core::Error e = preflight.error().Wrap("RUN in " + stage->Label());
    if (platform.is_windows() && !hcs)
      e.message = "RUN in " + stage->Label() + " (" + platform.ToString() +
                  ") needs a Windows host: Windows RUN steps execute in process-isolated Windows "
                  "containers; COPY/ADD-only Windows stages build on any host";
    e.location = first->range;
    return std::unexpected(e);
  }
  if (std::string isolation = executor->IsolationChosen(); !isolation.empty()) {
    std::string label = "RUN steps of " + platform.ToString() + ": " +
                        (isolation == "hyperv" ? "Hyper-V isolation (a utility VM per step)"
                                               : "process isolation");
    session.progress().Emit({core::ProgressKind::kStart, "isolation", label, 0, 0, "", 0});
    session.progress().Emit({core::ProgressKind::kDone, "isolation", label, 0, 0, "", 0});
  }
  session.SetRunSupport(std::move(executor),
                        options.make_snapshotter
                            ? options.make_snapshotter()
                            : layers::MakeHostSnapshotter(session.store().root()));
  return {};
}

}  // namespace kiln::builder

#include "builder/windows/hcs_executor.h"

#include <chrono>

#include "builder/windows/hcs_documents.h"
#include "builder/windows/hcs_process.h"
#include "builder/windows/hcs_system.h"
#include "builder/windows/preflight.h"
#include "builder/windows/stdio_pump.h"
#include "core/cancel.h"
#include "layers/windows/layer_entry.h"

namespace kiln::builder::windows {

namespace lw = layers::windows;
using Clock = std::chrono::steady_clock;

core::Status HcsExecutor::Preflight(const core::Platform& target) {
  return RunPreflight(host_, target);
}

core::Result<std::string> HcsExecutor::SystemDocument(const RunSpec& spec) {
  std::vector<HcsLayer> layers;
  for (const auto& folder : spec.layer_folders) {
    // The same Id the snapshotter used for this folder (NameToGuid of its name).
    std::string name = lw::PathToUtf8(lw::PathFromUtf8(folder).filename());
    lw::Guid id;
    lw::HResult hr = layers_.NameToGuid(name, &id);
    if (lw::Failed(hr)) return core::Fail(lw::HcsError("NameToGuid(" + name + ")", hr));
    layers.push_back({id.ToString(), folder});
  }
  return ComputeSystemDocument(spec, layers, options_.owner);
}

core::Result<ExitStatus> HcsExecutor::Run(const RunSpec& spec) {
  KILN_ASSIGN(std::string system_doc, SystemDocument(spec));
  KILN_ASSIGN(std::string process_doc, ProcessParametersDocument(spec));
  KILN_TRY(core::CheckCancelled());
  const HcsTimeouts& t = options_.timeouts;

  KILN_ASSIGN(HcsSystem system, HcsSystem::Create(compute_, spec.id, system_doc, t));
  KILN_TRY(system.Start());
  KILN_ASSIGN(HcsProcess process, HcsProcess::Create(compute_, system.get(), process_doc, t));
  StdioPump pump(compute_, process.TakeStdout(), process.TakeStderr(), spec.on_stdout,
                 spec.on_stderr);

  ExitStatus result;
  const auto deadline =
      spec.timeout.count() > 0 ? Clock::now() + spec.timeout : Clock::time_point::max();
  std::optional<ProcessStatus> status;
  while (!status) {
    if (core::CancelRequested()) {
      KILN_TRY(process.Terminate());
      return core::Fail(core::ErrorCode::kCancelled, "interrupted");  // handles unwind
    }
    if (Clock::now() >= deadline) {
      KILN_TRY(process.Terminate());
      result.timed_out = true;
    }
    KILN_ASSIGN(status, process.WaitForExit(result.timed_out ? t.terminate : t.poll));
    if (!status && result.timed_out)
      return core::Fail(core::ErrorCode::kRuntime, "the RUN command did not stop after terminate");
  }
  result.exit_code = static_cast<int>(status->exit_code);
  pump.Finish(t.drain_after_exit);
  process.Close();
  KILN_TRY(system.Stop());
  system.Close();
  return result;
}

}  // namespace kiln::builder::windows

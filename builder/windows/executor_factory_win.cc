// MakeHostExecutor on Windows: the HCS executor over the real thin layers (computecore.dll and
// vmcompute.dll loaded at run time, Win32 host queries).
#include <memory>

#include "builder/host_executor.h"
#include "builder/windows/computecore_api.h"
#include "builder/windows/hcs_executor.h"
#include "layers/windows/vmcompute_layer_api.h"
#include "layers/windows/win32_layer_fs.h"
#include "layers/windows/win32_host_api.h"

namespace kiln::builder {
namespace {

namespace lw = layers::windows;

// Owns the thin layers the executor borrows.
class HostHcsExecutor : public Executor {
 public:
  explicit HostHcsExecutor(const HostExecutorOptions& options)
      : host_([this]() -> core::Status {
          KILN_TRY(compute_.Load());
          return layers_.Load();
        }),
        executor_(compute_, layers_, host_, ExecutorOptions(options), &fs_) {}
  std::string Name() const override { return executor_.Name(); }
  core::Status Preflight(const core::Platform& target) override {
    return executor_.Preflight(target);
  }
  std::string IsolationChosen() const override { return executor_.IsolationChosen(); }
  core::Result<ExitStatus> Run(const RunSpec& spec) override {
    KILN_TRY(compute_.Load());
    KILN_TRY(layers_.Load());
    return executor_.Run(spec);
  }

 private:
  static windows::HcsExecutorOptions ExecutorOptions(const HostExecutorOptions& options) {
    windows::HcsExecutorOptions o;
    o.isolation = options.isolation;
    o.utility_vm = options.utility_vm;
    return o;
  }

  windows::ComputecoreApi compute_;
  lw::VmcomputeLayerApi layers_;
  lw::Win32HostApi host_;
  lw::Win32LayerFs fs_;
  windows::HcsExecutor executor_;
};

}  // namespace

// HCS keeps its own state; nothing goes under the store.
std::unique_ptr<Executor> MakeHostExecutor(const std::string& /*store_root*/,
                                           const HostExecutorOptions& options) {
  return std::make_unique<HostHcsExecutor>(options);
}

}  // namespace kiln::builder

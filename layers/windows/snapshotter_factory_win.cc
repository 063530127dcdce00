// MakeHostSnapshotter on Windows: the windowsfilter snapshotter over vmcompute.dll (loaded at run
// time) and the Win32 file calls, importing parent layers through UnpackLayer.
#include <memory>
#include <mutex>

#include "layers/host_snapshotter.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/layer_unpack.h"
#include "layers/windows/vmcompute_layer_api.h"
#include "layers/windows/win32_layer_fs.h"
#include "layers/windows/windowsfilter_snapshotter.h"

namespace kiln::layers {
namespace {

// Owns the thin layers the snapshotter borrows; loads vmcompute.dll before first use.
class HostWindowsfilter : public Snapshotter {
 public:
  explicit HostWindowsfilter(windows::WindowsfilterOptions options)
      : snapshotter_(api_, fs_, std::move(options)) {}
  core::Result<Snapshot> Prepare(const std::string& key, const std::vector<SnapshotLayer>& parents,
                                 LayerOpener& opener) override {
    KILN_TRY(Load());
    return snapshotter_.Prepare(key, parents, opener);
  }
  core::Status Diff(const Snapshot& snapshot, DiffSink& sink) override {
    KILN_TRY(Load());
    return snapshotter_.Diff(snapshot, sink);
  }
  core::Status Remove(const Snapshot& snapshot) override {
    KILN_TRY(Load());
    return snapshotter_.Remove(snapshot);
  }

 private:
  core::Status Load() {
    KILN_TRY(api_.Load());
    std::call_once(swept_, [&] { snapshotter_.Sweep(); });
    return {};
  }
  windows::VmcomputeLayerApi api_;
  windows::Win32LayerFs fs_;
  windows::WindowsfilterSnapshotter snapshotter_;
  std::once_flag swept_;
};

}  // namespace

// Layer folders, scratch volumes and transport folders live in <store>/windowsfilter.
std::unique_ptr<Snapshotter> MakeHostSnapshotter(const std::string& store_root) {
  windows::WindowsfilterOptions options;
  options.root = windows::PathFromUtf8(store_root + "/windowsfilter");
  options.unpack = windows::UnpackLayer;
  return std::make_unique<HostWindowsfilter>(std::move(options));
}

}  // namespace kiln::layers

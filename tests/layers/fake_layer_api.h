// Recording fake of the vmcompute layer API (the thin layer kiln cannot call on Linux). It keeps
// the state machine Windows enforces (a layer folder must exist before it is activated, prepared
// or exported; prepare needs activate; export needs an activated, unprepared layer; a layer in use
// cannot be renamed or destroyed; hcs-api.md 3.3-3.5), emulates ImportLayer by writing the
// transport folder's content into the layer folder, emulates ExportLayer by asking `export_content`
// for what the layer holds (the Windows rig answers from the commands that ran on it) or else by
// copying a transport folder the test provides, and fails any call on demand. Every call is
// appended to `log` (shared with the compute fake).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "layers/windows/base_layer_writer.h"
#include "layers/windows/layer_api.h"
#include "layers/windows/transport_reader.h"
#include "tests/layers/fake_layer_fs.h"

namespace kiln::testing {

class FakeLayerApi : public win::LayerApi {
 public:
  explicit FakeLayerApi(FakeLayerFs& fs, std::vector<std::string>* shared_log = nullptr)
      : fs_(fs), log_(shared_log ? *shared_log : own_log_) {
    fs_.in_use = [this](const stdfs::path& p) { return activated_.contains(p.string()); };
  }

  // Makes the next call named `call` (e.g. "PrepareLayer") return `hr`.
  void FailNext(const std::string& call, win::HResult hr, int times = 1) {
    failures_[call] = {hr, times};
  }
  // Makes the call named `call` after `skip` successful ones return `hr` (once).
  void FailAfter(const std::string& call, int skip, win::HResult hr) { delayed_[call] = {skip, hr}; }
  std::vector<std::string>& log() { return log_; }
  std::set<std::string> activated() const { return activated_; }
  std::set<std::string> prepared() const { return prepared_; }
  // The transport folder ExportLayer copies out (built by the test, e.g. with TransportWriter).
  stdfs::path export_source;
  // Writes the transport form of `layer` into `folder` (used before export_source when set).
  std::function<win::HResult(const std::string& layer, const std::string& folder)> export_content;
  std::vector<std::vector<win::LayerDescriptor>> import_parents;  // per ImportLayer call

  win::HResult NameToGuid(const std::string& name, win::Guid* out) override {
    uint64_t h = 1469598103934665603ull;  // FNV-1a: stable, distinct per name
    for (char c : name) h = (h ^ uint8_t(c)) * 1099511628211ull;
    out->data1 = uint32_t(h >> 32);
    out->data2 = uint16_t(h >> 16);
    out->data3 = uint16_t(h);
    for (int i = 0; i < 8; ++i) out->data4[i] = uint8_t(h >> (8 * i)) ^ uint8_t(i);
    return 0;
  }
  win::HResult ImportLayer(const std::string& layer, const std::string& folder,
                           const std::vector<win::LayerDescriptor>& parents) override {
    if (auto hr = Enter("ImportLayer", layer)) return hr;
    import_parents.push_back(parents);
    // vmcompute materialises the transport form into the layer folder.
    win::BaseLayerWriter writer(fs_, layer);
    win::TransportReader reader(fs_, folder);
    if (!reader.Run(writer) || !writer.Finish()) return win::kHcsInvalidLayer;
    return 0;
  }
  win::HResult ExportLayer(const std::string& layer, const std::string& folder,
                           const std::vector<win::LayerDescriptor>& parents) override {
    if (auto hr = Enter("ExportLayer", layer)) return hr;
    if (!stdfs::is_directory(layer)) return win::kWin32PathNotFound;
    if (!activated_.contains(layer) || prepared_.contains(layer)) return win::kHcsInvalidState;
    if (export_content) return export_content(layer, folder);
    std::error_code ec;
    if (!export_source.empty()) {
      stdfs::copy(export_source, folder, stdfs::copy_options::recursive, ec);
      for (const auto& [path, m] : std::map<std::string, FakeMeta>(fs_.meta))
        if (path.starts_with(export_source.string()))
          fs_.meta[folder + path.substr(export_source.string().size())] = m;
    }
    return ec ? win::kWin32AccessDenied : 0;
  }
  win::HResult ProcessBaseImage(const std::string& layer) override {
    if (auto hr = Enter("ProcessBaseImage", layer)) return hr;
    return stdfs::is_directory(stdfs::path(layer) / "Files") ? 0 : win::kHcsInvalidLayer;
  }
  // Windows leaves the utility VM's base and scratch template disks in <layer>\UtilityVM
  // (hcsshim legacy.go:42-43 SystemTemplateBase.vhdx, SystemTemplate.vhdx).
  win::HResult ProcessUtilityImage(const std::string& path) override {
    if (auto hr = Enter("ProcessUtilityImage", path)) return hr;
    if (!stdfs::is_directory(stdfs::path(path) / "Files")) return win::kHcsInvalidLayer;
    std::ofstream(stdfs::path(path) / "SystemTemplateBase.vhdx") << "uvm-base-vhdx";
    std::ofstream(stdfs::path(path) / "SystemTemplate.vhdx") << "uvm-scratch-vhdx";
    return 0;
  }
  win::HResult GrantVmAccess(const std::string& vm_id, const std::string& path) override {
    if (auto hr = Enter("GrantVmAccess", vm_id + " " + Shown(path))) return hr;
    if (!stdfs::is_regular_file(path)) return win::kWin32FileNotFound;
    granted_[path].insert(vm_id);
    return 0;
  }
  // VM ids GrantVmAccess let open `path`.
  std::set<std::string> GrantedTo(const std::string& path) const {
    auto it = granted_.find(path);
    return it == granted_.end() ? std::set<std::string>{} : it->second;
  }
  win::HResult CreateSandboxLayer(const std::string& layer,
                                  const std::vector<win::LayerDescriptor>& parents) override {
    if (auto hr = Enter("CreateSandboxLayer", layer)) return hr;
    for (const auto& p : parents)
      if (!stdfs::is_directory(p.path)) return win::kWin32PathNotFound;
    std::error_code ec;
    if (!stdfs::create_directory(layer, ec)) return win::kWin32AlreadyExists;
    std::ofstream(stdfs::path(layer) / "sandbox.vhdx") << "vhdx";
    return 0;
  }
  win::HResult ExpandSandboxSize(const std::string& layer, uint64_t bytes) override {
    return Enter("ExpandSandboxSize", layer + " " + std::to_string(bytes >> 30) + "GiB");
  }
  win::HResult ActivateLayer(const std::string& layer) override {
    if (auto hr = Enter("ActivateLayer", layer)) return hr;
    if (!stdfs::is_directory(layer)) return win::kWin32PathNotFound;
    activated_.insert(layer);
    return 0;
  }
  win::HResult DeactivateLayer(const std::string& layer) override {
    if (auto hr = Enter("DeactivateLayer", layer)) return hr;
    if (prepared_.contains(layer)) return win::kHcsInvalidState;
    activated_.erase(layer);
    return 0;
  }
  win::HResult PrepareLayer(const std::string& layer,
                            const std::vector<win::LayerDescriptor>& parents) override {
    if (auto hr = Enter("PrepareLayer", layer)) return hr;
    if (!activated_.contains(layer)) return win::kHcsInvalidState;
    for (const auto& p : parents)
      if (!stdfs::is_directory(p.path)) return win::kWin32PathNotFound;
    prepared_.insert(layer);
    return 0;
  }
  win::HResult UnprepareLayer(const std::string& layer) override {
    if (auto hr = Enter("UnprepareLayer", layer)) return hr;
    prepared_.erase(layer);
    return 0;
  }
  win::HResult GetLayerMountPath(const std::string& layer, std::string* path) override {
    if (auto hr = Enter("GetLayerMountPath", layer)) return hr;
    *path = activated_.contains(layer) ? MountPathOf(layer) : "";
    return 0;
  }
  // The volume an activated layer is mounted at (what GetLayerMountPath reports).
  std::string MountPathOf(const std::string& layer) {
    win::Guid g;
    NameToGuid(layer, &g);
    return "\\\\?\\Volume{" + g.ToString() + "}";
  }
  win::HResult DestroyLayer(const std::string& layer) override {
    if (auto hr = Enter("DestroyLayer", layer)) return hr;
    if (activated_.contains(layer)) return win::kWin32SharingViolation;
    std::error_code ec;
    stdfs::remove_all(layer, ec);
    return ec ? win::kWin32AccessDenied : 0;
  }

  // Layer names in log lines are shortened to what follows the test root (ending in the host's
  // separator), written with '/' whatever the host (so one golden log serves Linux and Windows).
  std::string root_prefix;

 private:
  std::string Shown(const std::string& path) const {
    std::string shown = path;
    if (!root_prefix.empty() && shown.starts_with(root_prefix)) {
      shown = shown.substr(root_prefix.size());
      std::replace(shown.begin(), shown.end(), '\\', '/');
    }
    return shown;
  }
  win::HResult Enter(const std::string& call, const std::string& arg) {
    std::string shown = Shown(arg);
    log_.push_back(call + " " + shown);
    if (auto d = delayed_.find(call); d != delayed_.end()) {
      if (d->second.first-- == 0) {
        win::HResult hr = d->second.second;
        delayed_.erase(d);
        log_.back() += " -> " + win::HResultHex(hr);
        return hr;
      }
    }
    auto it = failures_.find(call);
    if (it == failures_.end()) return 0;
    win::HResult hr = it->second.first;
    if (--it->second.second <= 0) failures_.erase(it);
    log_.back() += " -> " + win::HResultHex(hr);
    return hr;
  }

  FakeLayerFs& fs_;
  std::vector<std::string> own_log_;
  std::vector<std::string>& log_;
  std::map<std::string, std::pair<win::HResult, int>> failures_;
  std::map<std::string, std::pair<int, win::HResult>> delayed_;
  std::set<std::string> activated_, prepared_;
  std::map<std::string, std::set<std::string>> granted_;
};

}  // namespace kiln::testing

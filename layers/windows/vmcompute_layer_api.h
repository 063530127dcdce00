// The real LayerApi: vmcompute.dll's undocumented layer exports, resolved with GetProcAddress
// (there is no header or import library for them anywhere; prototypes from hcsshim's
// internal/wclayer, hcs-api.md 3.3). Defined in vmcompute_layer_api_win.cc (Windows only).
#pragma once

#include <memory>

#include "layers/windows/layer_api.h"

namespace kiln::layers::windows {

class VmcomputeLayerApi : public LayerApi {
 public:
  VmcomputeLayerApi();
  ~VmcomputeLayerApi() override;
  // Loads vmcompute.dll from System32 and resolves every export kiln uses; the error names the
  // DLL or the missing export. Until it succeeds every call returns ERROR_PROC_NOT_FOUND.
  core::Status Load();

  HResult NameToGuid(const std::string& name, Guid* out) override;
  HResult ImportLayer(const std::string& layer, const std::string& import_folder,
                      const std::vector<LayerDescriptor>& parents) override;
  HResult ExportLayer(const std::string& layer, const std::string& export_folder,
                      const std::vector<LayerDescriptor>& parents) override;
  HResult ProcessBaseImage(const std::string& layer) override;
  HResult ProcessUtilityImage(const std::string& path) override;
  HResult GrantVmAccess(const std::string& vm_id, const std::string& path) override;
  HResult CreateSandboxLayer(const std::string& layer,
                             const std::vector<LayerDescriptor>& parents) override;
  HResult ExpandSandboxSize(const std::string& layer, uint64_t bytes) override;
  HResult ActivateLayer(const std::string& layer) override;
  HResult DeactivateLayer(const std::string& layer) override;
  HResult PrepareLayer(const std::string& layer,
                       const std::vector<LayerDescriptor>& parents) override;
  HResult UnprepareLayer(const std::string& layer) override;
  HResult GetLayerMountPath(const std::string& layer, std::string* path) override;
  HResult DestroyLayer(const std::string& layer) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln::layers::windows

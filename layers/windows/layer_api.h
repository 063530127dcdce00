// Thin layer (1), layer side: the undocumented vmcompute.dll layer functions every production
// tool uses for windowsfilter layers (hcs-api.md 3.3), one virtual per export, no logic.
// The real implementation (vmcompute_layer_api_win.cc) resolves them with GetProcAddress at run
// time; tests use a recording fake. Layer ids are full folder paths (DriverInfo Flavour 1,
// HomeDir "", as hcsshim does). Paths are UTF-8.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "layers/windows/hresult.h"

namespace kiln::layers::windows {

struct Guid {
  uint32_t data1 = 0;
  uint16_t data2 = 0, data3 = 0;
  std::array<uint8_t, 8> data4{};
  // Lower-case, no braces: "0c8a7f2e-3b61-5d7e-9a43-6f1e2d9b0a11" (the HCS JSON form).
  std::string ToString() const;
  bool operator==(const Guid&) const = default;
};

// WC_LAYER_DESCRIPTOR: a parent layer. Id = NameToGuid(folder name).
struct LayerDescriptor {
  Guid id;
  uint32_t flags = 0;
  std::string path;
};

class LayerApi {
 public:
  virtual ~LayerApi() = default;
  virtual HResult NameToGuid(const std::string& name, Guid* out) = 0;
  virtual HResult ImportLayer(const std::string& layer, const std::string& import_folder,
                              const std::vector<LayerDescriptor>& parents) = 0;
  virtual HResult ExportLayer(const std::string& layer, const std::string& export_folder,
                              const std::vector<LayerDescriptor>& parents) = 0;
  virtual HResult ProcessBaseImage(const std::string& layer) = 0;
  // Prepares the utility VM image of a base layer (`path` = <layer>\UtilityVM); creates
  // SystemTemplateBase.vhdx and SystemTemplate.vhdx there (hcsshim wclayer.go:25,
  // processimage.go:29-42, legacy.go:42-43).
  virtual HResult ProcessUtilityImage(const std::string& path) = 0;
  // Lets the virtual machine `vm_id` (an HCS compute system id) open `path` (hcsshim
  // grantvmaccess.go; called on every VHD a utility VM attaches, create_wcow.go:597,
  // uvm/scsi/manager.go:153-156).
  virtual HResult GrantVmAccess(const std::string& vm_id, const std::string& path) = 0;
  virtual HResult CreateSandboxLayer(const std::string& layer,
                                     const std::vector<LayerDescriptor>& parents) = 0;
  virtual HResult ExpandSandboxSize(const std::string& layer, uint64_t bytes) = 0;
  virtual HResult ActivateLayer(const std::string& layer) = 0;
  virtual HResult DeactivateLayer(const std::string& layer) = 0;
  virtual HResult PrepareLayer(const std::string& layer,
                               const std::vector<LayerDescriptor>& parents) = 0;
  virtual HResult UnprepareLayer(const std::string& layer) = 0;
  // The volume path of an activated layer ("\\?\Volume{...}"; may be empty).
  virtual HResult GetLayerMountPath(const std::string& layer, std::string* path) = 0;
  virtual HResult DestroyLayer(const std::string& layer) = 0;
};

}  // namespace kiln::layers::windows

#include <mutex>

#include "layers/windows/vmcompute_layer_api.h"
#include "layers/windows/win32_util_win.h"

namespace kiln::layers::windows {
namespace {

// DriverInfo { GraphDriverType Flavour; LPCWSTR HomeDir; } with Flavour 1 (filter driver) and an
// empty HomeDir: layer ids are then full folder paths (hcsshim stdDriverInfo).
struct DriverInfo {
  int flavour;
  const wchar_t* home_dir;
};

// WC_LAYER_DESCRIPTOR (32 bytes on x64).
struct WcLayerDescriptor {
  GUID layer_id;
  ULONG flags;
  const wchar_t* path;
};
static_assert(sizeof(WcLayerDescriptor) == 32, "WC_LAYER_DESCRIPTOR layout");

// Descriptor arrays travel as (pointer, element count); the count is pointer-sized (hcsshim).
using IdFn = HRESULT(WINAPI*)(DriverInfo*, const wchar_t*);
using IdDescriptorsFn = HRESULT(WINAPI*)(DriverInfo*, const wchar_t*, WcLayerDescriptor*,
                                         ULONG_PTR);
using IdPathDescriptorsFn = HRESULT(WINAPI*)(DriverInfo*, const wchar_t*, const wchar_t*,
                                             WcLayerDescriptor*, ULONG_PTR);
using CreateSandboxFn = HRESULT(WINAPI*)(DriverInfo*, const wchar_t*, const wchar_t*,
                                         WcLayerDescriptor*, ULONG_PTR);
using ExpandFn = HRESULT(WINAPI*)(DriverInfo*, const wchar_t*, UINT64);
using MountPathFn = HRESULT(WINAPI*)(DriverInfo*, const wchar_t*, SIZE_T*, wchar_t*);
using NameToGuidFn = HRESULT(WINAPI*)(const wchar_t*, GUID*);
using PathFn = HRESULT(WINAPI*)(const wchar_t*);
using GrantVmAccessFn = HRESULT(WINAPI*)(const wchar_t*, const wchar_t*);

constexpr HResult kNotLoaded = HResultFromWin32(ERROR_PROC_NOT_FOUND);

// Wide copies of descriptor paths that stay alive for the duration of one call.
struct Descriptors {
  explicit Descriptors(const std::vector<LayerDescriptor>& in) {
    paths.reserve(in.size());
    for (const auto& d : in) paths.push_back(Widen(d.path));
    for (size_t i = 0; i < in.size(); ++i) {
      WcLayerDescriptor w{};
      w.layer_id.Data1 = in[i].id.data1;
      w.layer_id.Data2 = in[i].id.data2;
      w.layer_id.Data3 = in[i].id.data3;
      for (int k = 0; k < 8; ++k) w.layer_id.Data4[k] = in[i].id.data4[k];
      w.flags = in[i].flags;
      w.path = paths[i].c_str();
      items.push_back(w);
    }
  }
  WcLayerDescriptor* data() { return items.empty() ? nullptr : items.data(); }
  ULONG_PTR size() const { return items.size(); }
  std::vector<std::wstring> paths;
  std::vector<WcLayerDescriptor> items;
};

}  // namespace

struct VmcomputeLayerApi::Impl {
  SystemDll dll{L"vmcompute.dll"};
  std::once_flag once;
  core::Status loaded = core::Fail(core::ErrorCode::kUnsupported, "vmcompute.dll not loaded");
  wchar_t empty[1] = {0};
  DriverInfo info{1, empty};
  NameToGuidFn name_to_guid = nullptr;
  IdPathDescriptorsFn import_layer = nullptr, export_layer = nullptr;
  PathFn process_base_image = nullptr;
  // Hyper-V isolation only: resolved, but their absence does not fail Load.
  PathFn process_utility_image = nullptr;
  GrantVmAccessFn grant_vm_access = nullptr;
  CreateSandboxFn create_sandbox_layer = nullptr;
  ExpandFn expand_sandbox_size = nullptr;
  IdFn activate_layer = nullptr, deactivate_layer = nullptr, unprepare_layer = nullptr,
       destroy_layer = nullptr;
  IdDescriptorsFn prepare_layer = nullptr;
  MountPathFn get_layer_mount_path = nullptr;

  core::Status Resolve() {
    KILN_TRY(dll.Load());
    std::string missing;
    auto get = [&](auto& fn, const char* symbol) {
      fn = dll.Find<std::remove_reference_t<decltype(fn)>>(symbol);
      if (!fn) missing += std::string(missing.empty() ? "" : ", ") + symbol;
    };
    get(name_to_guid, "NameToGuid");
    get(import_layer, "ImportLayer");
    get(export_layer, "ExportLayer");
    get(process_base_image, "ProcessBaseImage");
    get(create_sandbox_layer, "CreateSandboxLayer");
    get(expand_sandbox_size, "ExpandSandboxSize");
    get(activate_layer, "ActivateLayer");
    get(deactivate_layer, "DeactivateLayer");
    get(prepare_layer, "PrepareLayer");
    get(unprepare_layer, "UnprepareLayer");
    get(get_layer_mount_path, "GetLayerMountPath");
    get(destroy_layer, "DestroyLayer");
    process_utility_image = dll.Find<PathFn>("ProcessUtilityImage");
    grant_vm_access = dll.Find<GrantVmAccessFn>("GrantVmAccess");
    if (!missing.empty())
      return core::Fail(core::ErrorCode::kUnsupported,
                        "vmcompute.dll lacks " + missing + " (unsupported Windows build?)");
    return {};
  }
};

VmcomputeLayerApi::VmcomputeLayerApi() : impl_(std::make_unique<Impl>()) {}
VmcomputeLayerApi::~VmcomputeLayerApi() = default;

core::Status VmcomputeLayerApi::Load() {
  std::call_once(impl_->once, [&] { impl_->loaded = impl_->Resolve(); });
  return impl_->loaded;
}

HResult VmcomputeLayerApi::NameToGuid(const std::string& name, Guid* out) {
  if (!impl_->name_to_guid) return kNotLoaded;
  GUID g{};
  HRESULT hr = impl_->name_to_guid(Widen(name).c_str(), &g);
  out->data1 = g.Data1;
  out->data2 = g.Data2;
  out->data3 = g.Data3;
  for (int k = 0; k < 8; ++k) out->data4[k] = g.Data4[k];
  return hr;
}

HResult VmcomputeLayerApi::ImportLayer(const std::string& layer, const std::string& folder,
                                       const std::vector<LayerDescriptor>& parents) {
  if (!impl_->import_layer) return kNotLoaded;
  Descriptors d(parents);
  return impl_->import_layer(&impl_->info, Widen(layer).c_str(), Widen(folder).c_str(), d.data(),
                             d.size());
}

HResult VmcomputeLayerApi::ExportLayer(const std::string& layer, const std::string& folder,
                                       const std::vector<LayerDescriptor>& parents) {
  if (!impl_->export_layer) return kNotLoaded;
  Descriptors d(parents);
  return impl_->export_layer(&impl_->info, Widen(layer).c_str(), Widen(folder).c_str(), d.data(),
                             d.size());
}

HResult VmcomputeLayerApi::ProcessBaseImage(const std::string& layer) {
  if (!impl_->process_base_image) return kNotLoaded;
  return impl_->process_base_image(Widen(layer).c_str());
}

HResult VmcomputeLayerApi::ProcessUtilityImage(const std::string& path) {
  if (!impl_->process_utility_image) return kNotLoaded;
  return impl_->process_utility_image(Widen(path).c_str());
}

HResult VmcomputeLayerApi::GrantVmAccess(const std::string& vm_id, const std::string& path) {
  if (!impl_->grant_vm_access) return kNotLoaded;
  return impl_->grant_vm_access(Widen(vm_id).c_str(), Widen(path).c_str());
}

HResult VmcomputeLayerApi::CreateSandboxLayer(const std::string& layer,
                                              const std::vector<LayerDescriptor>& parents) {
  if (!impl_->create_sandbox_layer) return kNotLoaded;
  Descriptors d(parents);
  // hcsshim passes no parent id (0) and the whole chain as descriptors.
  return impl_->create_sandbox_layer(&impl_->info, Widen(layer).c_str(), nullptr, d.data(),
                                     d.size());
}

HResult VmcomputeLayerApi::ExpandSandboxSize(const std::string& layer, uint64_t bytes) {
  if (!impl_->expand_sandbox_size) return kNotLoaded;
  return impl_->expand_sandbox_size(&impl_->info, Widen(layer).c_str(), bytes);
}

HResult VmcomputeLayerApi::ActivateLayer(const std::string& layer) {
  if (!impl_->activate_layer) return kNotLoaded;
  return impl_->activate_layer(&impl_->info, Widen(layer).c_str());
}

HResult VmcomputeLayerApi::DeactivateLayer(const std::string& layer) {
  if (!impl_->deactivate_layer) return kNotLoaded;
  return impl_->deactivate_layer(&impl_->info, Widen(layer).c_str());
}

HResult VmcomputeLayerApi::PrepareLayer(const std::string& layer,
                                        const std::vector<LayerDescriptor>& parents) {
  if (!impl_->prepare_layer) return kNotLoaded;
  Descriptors d(parents);
  return impl_->prepare_layer(&impl_->info, Widen(layer).c_str(), d.data(), d.size());
}

HResult VmcomputeLayerApi::UnprepareLayer(const std::string& layer) {
  if (!impl_->unprepare_layer) return kNotLoaded;
  return impl_->unprepare_layer(&impl_->info, Widen(layer).c_str());
}

HResult VmcomputeLayerApi::GetLayerMountPath(const std::string& layer, std::string* path) {
  if (!impl_->get_layer_mount_path) return kNotLoaded;
  std::wstring id = Widen(layer);
  SIZE_T length = 0;  // first call: the length in WCHARs (0: no path)
  HRESULT hr = impl_->get_layer_mount_path(&impl_->info, id.c_str(), &length, nullptr);
  if (FAILED(hr)) return hr;
  path->clear();
  if (length == 0) return S_OK;
  std::wstring buffer(length + 1, L'\0');
  hr = impl_->get_layer_mount_path(&impl_->info, id.c_str(), &length, buffer.data());
  if (FAILED(hr)) return hr;
  *path = Narrow(buffer.c_str());
  return S_OK;
}

HResult VmcomputeLayerApi::DestroyLayer(const std::string& layer) {
  if (!impl_->destroy_layer) return kNotLoaded;
  return impl_->destroy_layer(&impl_->info, Widen(layer).c_str());
}

}  // namespace kiln::layers::windows

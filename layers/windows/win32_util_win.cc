#include "layers/windows/win32_util_win.h"

#include "core/windows/win_text.h"

namespace kiln::layers::windows {

// The conversions of core's host seam (core/windows/win_text.h): one implementation.
std::wstring Widen(std::string_view utf8) { return sys::Utf8ToWide(utf8); }

std::string Narrow(std::wstring_view utf16) { return sys::WideToUtf8(utf16); }

std::wstring LongPath(const std::filesystem::path& path) {
  std::wstring p = path.native();
  for (wchar_t& c : p)
    if (c == L'/') c = L'\\';
  if (p.starts_with(L"\\\\?\\") || p.starts_with(L"\\\\.\\")) return p;
  if (p.starts_with(L"\\\\")) return L"\\\\?\\UNC\\" + p.substr(2);
  if (p.size() >= 3 && p[1] == L':' && p[2] == L'\\') return L"\\\\?\\" + p;
  return p;
}

core::Error Win32Error(std::string_view what, DWORD code) {
  return HcsError(what, HResultFromWin32(code));
}

core::Status SystemDll::Load() {
  if (module_) return {};
  module_ = LoadLibraryExW(name_, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32);
  if (!module_) {
    DWORD code = GetLastError();
    return core::Fail(core::ErrorCode::kUnsupported,
                      name() +
                          " cannot be loaded from System32 (is the Containers feature "
                          "enabled?): " +
                          Win32Error("LoadLibraryEx", code).message);
  }
  return {};
}

}  // namespace kiln::layers::windows

#include "layers/windows/win32_util_win.h"

namespace kiln::layers::windows {

std::wstring Widen(std::string_view utf8) {
  if (utf8.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string Narrow(std::wstring_view utf16) {
  if (utf16.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), nullptr, 0,
                              nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, utf16.data(), static_cast<int>(utf16.size()), out.data(), n,
                      nullptr, nullptr);
  return out;
}

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

// Helpers shared by the *_win.cc files (the only code that includes windows.h): UTF-8 <-> UTF-16,
// long paths, Win32 errors as core::Error, and run-time loading of system DLLs (no import
// libraries: one kiln.exe runs on Windows Server 2019 to 2025).
#pragma once

#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <windows.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.h"
#include "layers/windows/hresult.h"

namespace kiln::layers::windows {

std::wstring Widen(std::string_view utf8);
std::string Narrow(std::wstring_view utf16);
// A path usable beyond MAX_PATH: "\\?\C:\..." or "\\?\UNC\server\...". Relative paths and paths
// that already have a prefix are returned unchanged.
std::wstring LongPath(const std::filesystem::path& path);
// The error of a failed Win32 call: "<what>: <text> (0x8007xxxx)", code from the HRESULT table.
core::Error Win32Error(std::string_view what, DWORD code = GetLastError());

// A system DLL loaded from System32 only (LOAD_LIBRARY_SEARCH_SYSTEM32), never unloaded while
// kiln runs (HCS may still call back into code that came from it).
class SystemDll {
 public:
  explicit SystemDll(const wchar_t* name) : name_(name) {}
  // Loads the DLL once; fails with kUnsupported naming it.
  core::Status Load();
  // The export or nullptr.
  template <typename F>
  F Find(const char* symbol) const {
    return module_ ? reinterpret_cast<F>(reinterpret_cast<void*>(GetProcAddress(module_, symbol)))
                   : nullptr;
  }
  std::string name() const { return Narrow(name_); }

 private:
  const wchar_t* name_;
  HMODULE module_ = nullptr;
};

}  // namespace kiln::layers::windows

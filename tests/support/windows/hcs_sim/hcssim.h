// Shared helpers of the simulated Host Compute Service (test-only; see build.sh). Header-only:
// each simulated DLL (computecore.dll, vmcompute.dll, computestorage.dll) includes it, and the
// DLLs share state only through files under the state folder, as two DLLs of one process with
// separate globals must.
//
// State folder (env HCSSIM_STATE, default C:\hcssim), everything in it is the simulation's:
//   log.txt                one line per call, "<dll> <function> <hr> <detail>" (HCSSIM_LOG=0: off)
//   volumes\<guid>.txt     an activated scratch layer: its folder (ActivateLayer..DeactivateLayer)
//   vms\<guid>.txt         a running utility VM (Hyper-V isolation): its id, then the VHDs it
//                          holds open (HcsStartComputeSystem..stop), one per line
//   drive\                 the folder the container drive letter (HCSSIM_DRIVE, default K) points
//                          at, through a dosdevices symlink the test creates; it exists only
//                          while a compute system runs (the scratch's materialised root is
//                          renamed here at start and back at stop)
// Wine is not Windows, and none of this is HCS: it keeps the documented call contracts so that
// kiln's *_win.cc code runs, nothing more.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cstdint>
#include <cstdio>
#include <cwchar>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace hcssim {

// HRESULTs the simulation returns (hcs-api.md 1.6; VD HCSHResult.md).
inline constexpr HRESULT kHcsInvalidState = static_cast<HRESULT>(0x80370105);
inline constexpr HRESULT kHcsInvalidJson = static_cast<HRESULT>(0x8037010D);
inline constexpr HRESULT kHcsSystemNotFound = static_cast<HRESULT>(0x8037010E);
inline constexpr HRESULT kHcsSystemAlreadyExists = static_cast<HRESULT>(0x8037010F);
inline constexpr HRESULT kHcsSystemAlreadyStopped = static_cast<HRESULT>(0x80370110);
inline constexpr HRESULT kHcsInvalidLayer = static_cast<HRESULT>(0x80370112);
inline constexpr HRESULT kHcsOperationNotStarted = static_cast<HRESULT>(0x80370115);
inline constexpr HRESULT kHcsOperationPending = static_cast<HRESULT>(0x80370117);
inline constexpr HRESULT kHcsOperationTimeout = static_cast<HRESULT>(0x80370118);
inline constexpr HRESULT kHcsProcessAlreadyStopped = static_cast<HRESULT>(0x8037011F);
inline constexpr HRESULT kHcsImageMismatch = static_cast<HRESULT>(0xC0370101);

inline std::wstring Widen(const std::string& s) {
  if (s.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), out.data(), n);
  return out;
}

inline std::string Narrow(const std::wstring& s) {
  if (s.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), nullptr, 0,
                              nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, s.data(), static_cast<int>(s.size()), out.data(), n, nullptr,
                      nullptr);
  return out;
}

inline std::string Env(const char* name, const std::string& fallback) {
  wchar_t buf[32768];
  DWORD n = GetEnvironmentVariableW(Widen(name).c_str(), buf, 32768);
  if (n == 0 || n >= 32768) return fallback;
  return Narrow(std::wstring(buf, n));
}

inline std::wstring StateDir() { return Widen(Env("HCSSIM_STATE", "C:\\hcssim")); }

inline wchar_t DriveLetter() {
  std::string d = Env("HCSSIM_DRIVE", "K");
  return static_cast<wchar_t>(d.empty() ? 'K' : d[0]);
}

// Strips a "\\?\" prefix (kiln passes long-path forms) so that wine's path code sees a plain path.
inline std::wstring Plain(std::wstring p) {
  if (p.rfind(L"\\\\?\\", 0) == 0 && p.rfind(L"\\\\?\\Volume{", 0) != 0) p = p.substr(4);
  for (auto& c : p)
    if (c == L'/') c = L'\\';
  while (p.size() > 3 && p.back() == L'\\') p.pop_back();
  return p;
}

inline std::wstring Join(const std::wstring& a, const std::wstring& b) {
  if (a.empty()) return b;
  return a.back() == L'\\' ? a + b : a + L"\\" + b;
}

inline std::wstring BaseName(const std::wstring& p) {
  std::wstring q = Plain(p);
  size_t s = q.find_last_of(L'\\');
  return s == std::wstring::npos ? q : q.substr(s + 1);
}

inline std::string Hex(HRESULT hr) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08lX", static_cast<unsigned long>(hr));
  return buf;
}

inline bool Exists(const std::wstring& p) {
  return GetFileAttributesW(p.c_str()) != INVALID_FILE_ATTRIBUTES;
}
inline bool IsDir(const std::wstring& p) {
  DWORD a = GetFileAttributesW(p.c_str());
  return a != INVALID_FILE_ATTRIBUTES && (a & FILE_ATTRIBUTE_DIRECTORY);
}

// One line per call into the state folder's log.txt (appended; the test reads it for coverage).
inline void Log(const char* dll, const char* function, HRESULT hr, const std::string& detail) {
  if (Env("HCSSIM_LOG", "1") == "0") return;
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::wstring dir = StateDir();
  CreateDirectoryW(dir.c_str(), nullptr);
  HANDLE h = CreateFileW(Join(dir, L"log.txt").c_str(), FILE_APPEND_DATA,
                         FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return;
  std::string line = std::string(dll) + " " + function + " " + Hex(hr) + " " + detail + "\n";
  DWORD n = 0;
  WriteFile(h, line.data(), static_cast<DWORD>(line.size()), &n, nullptr);
  CloseHandle(h);
}

// Fault injection for the tests: HCSSIM_FAIL="Name[=HRESULT][@sync][+K][*N]" makes the export
// Name fail with HRESULT (default E_FAIL) for N calls (default: every call) after the first K
// (default 0; e.g. ActivateLayer+1*1 fails only the second ActivateLayer). computecore
// functions that take an operation fail through the operation, or with "@sync" from the call
// itself (the result document then comes from HcsGetOperationResult, as the docs describe).
struct Injected {
  HRESULT hr = E_FAIL;
  bool sync = false;
};
inline bool Inject(const char* function, Injected* out) {
  std::string spec = Env("HCSSIM_FAIL", "");
  if (spec.empty()) return false;
  std::string name = spec.substr(0, spec.find_first_of("=@+*"));
  if (name != function) return false;
  static std::mutex mu;
  static std::map<std::string, long> calls;
  long limit = -1, skip = 0;
  if (size_t star = spec.find('*'); star != std::string::npos) limit = std::stol(spec.substr(star + 1));
  if (size_t plus = spec.find('+'); plus != std::string::npos) skip = std::stol(spec.substr(plus + 1));
  {
    std::lock_guard lock(mu);
    long n = calls[name]++;
    if (n < skip || (limit >= 0 && n >= skip + limit)) return false;
  }
  Injected i;
  if (size_t eq = spec.find('='); eq != std::string::npos)
    i.hr = static_cast<HRESULT>(std::stoul(spec.substr(eq + 1), nullptr, 16));
  i.sync = spec.find("@sync") != std::string::npos;
  *out = i;
  return true;
}

inline bool ReadText(const std::wstring& path, std::string* out) {
  HANDLE h = CreateFileW(path.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr,
                         OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  out->clear();
  char buf[65536];
  DWORD n = 0;
  while (ReadFile(h, buf, sizeof buf, &n, nullptr) && n > 0) out->append(buf, n);
  CloseHandle(h);
  return true;
}

inline bool WriteText(const std::wstring& path, const std::string& text) {
  HANDLE h = CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return false;
  DWORD n = 0;
  BOOL ok = WriteFile(h, text.data(), static_cast<DWORD>(text.size()), &n, nullptr);
  CloseHandle(h);
  return ok && n == text.size();
}

struct Entry {
  std::wstring name;
  DWORD attributes;
  uint64_t size;
  FILETIME write_time;
};

inline std::vector<Entry> List(const std::wstring& dir) {
  std::vector<Entry> out;
  WIN32_FIND_DATAW d;
  HANDLE f = FindFirstFileW(Join(dir, L"*").c_str(), &d);
  if (f == INVALID_HANDLE_VALUE) return out;
  do {
    std::wstring n = d.cFileName;
    if (n == L"." || n == L"..") continue;
    out.push_back({n, d.dwFileAttributes, (uint64_t{d.nFileSizeHigh} << 32) | d.nFileSizeLow,
                   d.ftLastWriteTime});
  } while (FindNextFileW(f, &d));
  FindClose(f);
  return out;
}

// Deletes a tree (read-only attributes cleared first). False when something stayed.
inline bool RemoveTree(const std::wstring& path) {
  DWORD a = GetFileAttributesW(path.c_str());
  if (a == INVALID_FILE_ATTRIBUTES) return true;
  SetFileAttributesW(path.c_str(), FILE_ATTRIBUTE_NORMAL | (a & FILE_ATTRIBUTE_DIRECTORY));
  if (a & FILE_ATTRIBUTE_DIRECTORY) {
    for (const auto& e : List(path)) RemoveTree(Join(path, e.name));
    RemoveDirectoryW(path.c_str());
  } else {
    DeleteFileW(path.c_str());
  }
  return !Exists(path);
}

// Copies a tree (files with CopyFileW: content, attributes, times). False on the first failure.
inline bool CopyTree(const std::wstring& from, const std::wstring& to) {
  if (!CreateDirectoryW(to.c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS)
    return false;
  for (const auto& e : List(from)) {
    std::wstring s = Join(from, e.name), d = Join(to, e.name);
    if (e.attributes & FILE_ATTRIBUTE_DIRECTORY) {
      if (!CopyTree(s, d)) return false;
    } else if (!CopyFileW(s.c_str(), d.c_str(), FALSE)) {
      return false;
    }
  }
  return true;
}

// A deterministic GUID for a name (what vmcompute's NameToGuid is for: one id per layer folder
// name; kiln needs only consistency, hcs-api.md 2.1). FNV-1a over the UTF-16 name, twice.
inline GUID GuidOf(const std::wstring& name) {
  uint64_t h1 = 14695981039346656037ull, h2 = 1099511628211ull ^ 0x5bd1e995;
  for (wchar_t c : name) {
    h1 = (h1 ^ static_cast<uint16_t>(c)) * 1099511628211ull;
    h2 = (h2 ^ static_cast<uint16_t>(towlower(c))) * 14029467366897019727ull;
  }
  GUID g{};
  g.Data1 = static_cast<uint32_t>(h1 >> 32);
  g.Data2 = static_cast<uint16_t>(h1 >> 16);
  g.Data3 = static_cast<uint16_t>((h1 & 0x0FFF) | 0x5000);  // version 5 style, like hcsshim's
  for (int i = 0; i < 8; ++i) g.Data4[i] = static_cast<uint8_t>(h2 >> (8 * i));
  g.Data4[0] = static_cast<uint8_t>((g.Data4[0] & 0x3F) | 0x80);
  return g;
}

inline std::string GuidString(const GUID& g) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08lx-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                static_cast<unsigned long>(g.Data1), g.Data2, g.Data3, g.Data4[0], g.Data4[1],
                g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7]);
  return buf;
}

inline std::wstring LowerW(std::wstring s) {
  for (auto& c : s) c = towlower(c);
  return s;
}

// Files of a scratch layer folder (the simulation's own layout; kiln never looks inside).
inline std::wstring ScratchVolume(const std::wstring& scratch) {
  return Join(Plain(scratch), L"volume");
}
inline std::wstring ScratchChain(const std::wstring& scratch) {
  return Join(Plain(scratch), L"hcssim-chain.txt");
}
inline std::wstring ScratchPrepared(const std::wstring& scratch) {
  return Join(Plain(scratch), L"hcssim-prepared");
}
inline std::wstring VolumeFile(const std::string& guid) {
  return Join(Join(StateDir(), L"volumes"), Widen(guid) + L".txt");
}

// The volume GUID ActivateLayer gives a scratch, and whether the host has it activated (attached).
inline std::string VolumeGuid(const std::wstring& scratch) {
  return GuidString(GuidOf(LowerW(Plain(scratch)) + L"#volume"));
}
inline bool Activated(const std::wstring& scratch) { return Exists(VolumeFile(VolumeGuid(scratch))); }

// --- Hyper-V isolation ---------------------------------------------------------------------------

// What the simulated ProcessUtilityImage writes into <base>\UtilityVM\SystemTemplate.vhdx (and
// SystemTemplateBase.vhdx): a marker naming the UtilityVM folder, so that the utility VM's
// scratch disk can be checked to be a copy of it (hcsshim copies SystemTemplate.vhdx,
// internal/wcow/scratch.go). Not a VHD.
inline std::string TemplateMarker(const std::wstring& uvm_folder) {
  return "hcssim SystemTemplate.vhdx of " + Narrow(LowerW(Plain(uvm_folder))) + "\n";
}

// GrantVmAccess's record: the VM ids allowed to open a VHD, one per line, in a file beside it
// (the real call adds an ACE for the VM to the file's own ACL, so the grant lives and dies with
// the file; wine keeps no such ACLs).
inline std::wstring GrantFile(const std::wstring& vhd) { return Plain(vhd) + L".hcssim-grant"; }
inline bool Granted(const std::wstring& vhd, const std::string& vm_id) {
  std::string text;
  if (!ReadText(GrantFile(vhd), &text)) return false;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (text.substr(start, end - start) == vm_id) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

// Running utility VMs and the VHDs they hold (state\vms\<guid>.txt, see above).
inline std::wstring VmRecordDir() { return Join(StateDir(), L"vms"); }
inline std::wstring VmRecord(const std::string& id) {
  return Join(VmRecordDir(), Widen(GuidString(GuidOf(Widen(id)))) + L".txt");
}
// The id of the running VM that holds `vhd` open, or "".
inline std::string VmHolding(const std::wstring& vhd) {
  const std::string want = Narrow(LowerW(Plain(vhd)));
  for (const auto& e : List(VmRecordDir())) {
    std::string text;
    if (!ReadText(Join(VmRecordDir(), e.name), &text)) continue;
    size_t nl = text.find('\n');
    std::string id = text.substr(0, nl);
    size_t start = nl == std::string::npos ? text.size() : nl + 1;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (text.substr(start, end - start) == want) return id;
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return {};
}

}  // namespace hcssim

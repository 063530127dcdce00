// Simulated vmcompute.dll (test-only): the legacy windowsfilter layer exports kiln resolves in
// layers/windows/vmcompute_layer_api_win.cc, with the prototypes every production caller uses.
// These exports are undocumented by Microsoft (no learn.microsoft.com page exists for them); the
// contract kept here is the one ../shared/docs/hcs-api.md 3.3-3.5 records from hcsshim
// (internal/wclayer/*.go, the mkwinsyscall prototypes in zsyscall_windows.go), moby's
// windowsfilter driver and containerd's snapshotter. Wine is not Windows; nothing here is HCS.
//
// Layer model of the simulation (all plain folders, no VHDs, no filter driver):
//   read-only layer L\Files   the FULL file view of the layer (parents merged in). A base layer
//                             is written by kiln itself; ImportLayer copies the nearest parent's
//                             Files and applies the transport folder on top, so that kiln's
//                             post-import deletion of tombstoned names (as current hcsshim does)
//                             really deletes them.
//   scratch S\sandbox.vhdx    an empty marker (CreateSandboxLayer), S\hcssim-chain.txt its parents
//   S\volume                  the "mounted volume": the nearest parent's Files copied at the first
//                             PrepareLayer; the container writes into it (renamed to the drive
//                             folder while a compute system runs, see computecore_sim.cc)
//   ExportLayer               compares S\volume with the nearest parent's Files and writes the
//                             differences in the transport format (Files\ + <dir>.$wcidirs$ with
//                             attribute word + Win32 backup stream, Hives\*_Delta,
//                             tombstones.txt)
//   base L\UtilityVM          ProcessUtilityImage writes SystemTemplate(Base).vhdx markers there;
//                             a utility VM's LUN 0 must be a copy (computecore_sim.cc)
//   VHD grants                GrantVmAccess records the VM id in <vhd>.hcssim-grant
//   S while lent to a VM      ActivateLayer/DestroyLayer refuse a scratch whose sandbox.vhdx a
//                             running utility VM holds (state\vms\, written by computecore)
//
// Also (test-only): wine's kernel32!BackupWrite is a stub that fails with ERROR_NOT_SUPPORTED,
// which makes kiln's base-layer writer (layers/windows/win32_layer_fs_win.cc) fail before any
// HCS call. Under wine only, this DLL replaces the BackupWrite entry of the executable's import
// table with a decoder of the documented WIN32_STREAM_ID format (learn.microsoft.com
// winbase/ns-winbase-win32_stream_id, winbase/nf-winbase-backupwrite) that writes the DATA
// stream and skips the others (security, EAs, alternate streams, reparse data: wine keeps none
// of them the Windows way). HCSSIM_BACKUPWRITE=0 turns this off.
#include <cstring>
#include <map>
#include <set>

#include "tests/support/windows/hcs_sim/hcssim.h"

using namespace hcssim;

namespace {

struct DriverInfo {
  int flavour;
  const wchar_t* home_dir;
};

struct WcLayerDescriptor {
  GUID layer_id;
  ULONG flags;
  const wchar_t* path;
};
static_assert(sizeof(WcLayerDescriptor) == 32, "WC_LAYER_DESCRIPTOR layout");

const char* const kDll = "vmcompute";

// O:BAG:BA, self-relative (samples/bases/make_synthetic_bases.py SD_ADMIN): the security stream
// the simulated export gives every entry.
const unsigned char kSdAdmin[] = {
    0x01, 0x00, 0x00, 0x80, 0x14, 0x00, 0x00, 0x00, 0x24, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
    0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x05, 0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00};

HRESULT Win32(DWORD code) { return HRESULT_FROM_WIN32(code); }

// DriverInfo must be hcsshim's stdDriverInfo: Flavour 1 (filter driver), HomeDir "" (ids are
// full paths; hcs-api.md 3.3).
HRESULT CheckInfo(const DriverInfo* info, const wchar_t* id) {
  if (!info || info->flavour != 1 || !info->home_dir || info->home_dir[0] != 0) return E_INVALIDARG;
  if (!id || !id[0]) return E_INVALIDARG;
  std::wstring p = Plain(id);
  if (p.size() < 3 || p[1] != L':' || p[2] != L'\\') return E_INVALIDARG;  // full path wanted
  return S_OK;
}

// Descriptors: each Path an existing layer folder with Files, each LayerId NameToGuid(folder
// name) (hcsshim's layerPathsToDescriptors), at least one.
HRESULT CheckDescriptors(const WcLayerDescriptor* d, ULONG_PTR n, std::vector<std::wstring>* out,
                         std::string* why) {
  if (n == 0 || !d) {
    *why = "no parent layer descriptors";
    return E_INVALIDARG;
  }
  if (n > 127) {
    *why = "more than 127 layers";
    return E_INVALIDARG;
  }
  for (ULONG_PTR i = 0; i < n; ++i) {
    if (!d[i].path) {
      *why = "descriptor without a path";
      return E_INVALIDARG;
    }
    std::wstring p = Plain(d[i].path);
    if (!IsDir(Join(p, L"Files"))) {
      *why = "descriptor " + Narrow(p) + " is not a layer folder (no Files)";
      return kHcsInvalidLayer;
    }
    if (std::memcmp(&d[i].layer_id, &(const GUID&)GuidOf(BaseName(p)), sizeof(GUID)) != 0) {
      *why = "descriptor " + Narrow(p) + " has LayerId " + GuidString(d[i].layer_id) +
             ", not NameToGuid(" + Narrow(BaseName(p)) + ")";
      return E_INVALIDARG;
    }
    if (d[i].flags != 0) {
      *why = "descriptor flags set";
      return E_INVALIDARG;
    }
    out->push_back(p);
  }
  return S_OK;
}

std::string JoinChain(const std::vector<std::wstring>& chain) {
  std::string out;
  for (const auto& c : chain) out += Narrow(LowerW(c)) + "\n";
  return out;
}


HRESULT Done(const char* fn, HRESULT hr, const std::string& detail) {
  Log(kDll, fn, hr, detail);
  return hr;
}

// --- transport folder -> layer (ImportLayer) ---------------------------------------------------

struct StreamHeader {
  DWORD id;
  DWORD attributes;
  LARGE_INTEGER size;
  DWORD name_size;
};
static_assert(sizeof(DWORD) * 3 + sizeof(LARGE_INTEGER) == 20, "WIN32_STREAM_ID header");

bool CopyTimes(HANDLE from, HANDLE to, DWORD attributes) {
  FILE_BASIC_INFO b{};
  if (!GetFileInformationByHandleEx(from, FileBasicInfo, &b, sizeof b)) return false;
  b.FileAttributes = attributes & ~FILE_ATTRIBUTE_DIRECTORY;
  if (b.FileAttributes == 0) b.FileAttributes = FILE_ATTRIBUTE_NORMAL;
  return SetFileInformationByHandle(to, FileBasicInfo, &b, sizeof b);
}

// Reads a transport file: attribute word, then a Win32 backup stream; writes the DATA stream to
// `dest` (unless it is a directory's $wcidirs$) and applies times and attributes.
bool ApplyTransportFile(const std::wstring& src, const std::wstring& dest, bool is_dir,
                        std::string* why) {
  HANDLE in = CreateFileW(src.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                          FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (in == INVALID_HANDLE_VALUE) {
    *why = "cannot open " + Narrow(src);
    return false;
  }
  DWORD n = 0, attributes = 0;
  bool ok = ReadFile(in, &attributes, 4, &n, nullptr) && n == 4;
  if (!ok) *why = Narrow(src) + " has no attribute word";
  HANDLE out = INVALID_HANDLE_VALUE;
  if (ok) {
    out = CreateFileW(dest.c_str(), GENERIC_WRITE | FILE_WRITE_ATTRIBUTES, 0, nullptr,
                      is_dir ? OPEN_EXISTING : CREATE_ALWAYS, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    if (out == INVALID_HANDLE_VALUE) {
      ok = false;
      *why = "cannot create " + Narrow(dest);
    }
  }
  while (ok) {
    StreamHeader h{};
    if (!ReadFile(in, &h, 20, &n, nullptr)) {
      ok = false;
      *why = "read error in " + Narrow(src);
      break;
    }
    if (n == 0) break;
    if (n != 20) {
      ok = false;
      *why = "truncated stream header in " + Narrow(src);
      break;
    }
    std::vector<char> name(h.name_size);
    if (h.name_size && !(ReadFile(in, name.data(), h.name_size, &n, nullptr) && n == h.name_size)) {
      ok = false;
      *why = "truncated stream name in " + Narrow(src);
      break;
    }
    uint64_t left = static_cast<uint64_t>(h.size.QuadPart);
    const bool data = h.id == BACKUP_DATA && !is_dir;
    std::vector<char> buf(1 << 16);
    while (ok && left > 0) {
      DWORD want = static_cast<DWORD>(std::min<uint64_t>(left, buf.size()));
      if (!(ReadFile(in, buf.data(), want, &n, nullptr) && n == want)) {
        ok = false;
        *why = "truncated stream in " + Narrow(src);
        break;
      }
      DWORD w = 0;
      if (data && !(WriteFile(out, buf.data(), n, &w, nullptr) && w == n)) {
        ok = false;
        *why = "write error on " + Narrow(dest);
      }
      left -= n;
    }
  }
  if (ok && !CopyTimes(in, out, attributes)) {
    ok = false;
    *why = "cannot set times of " + Narrow(dest);
  }
  if (out != INVALID_HANDLE_VALUE) CloseHandle(out);
  CloseHandle(in);
  return ok;
}

bool ApplyTransportDir(const std::wstring& src, const std::wstring& dest, std::string* why) {
  for (const auto& e : List(src)) {
    const std::wstring s = Join(src, e.name), d = Join(dest, e.name);
    static const std::wstring kMeta = L".$wcidirs$";
    if (e.name.size() > kMeta.size() &&
        e.name.compare(e.name.size() - kMeta.size(), kMeta.size(), kMeta) == 0)
      continue;
    if (e.attributes & FILE_ATTRIBUTE_DIRECTORY) {
      DWORD a = GetFileAttributesW(d.c_str());
      if (a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY)) RemoveTree(d);
      if (!IsDir(d) && !CreateDirectoryW(d.c_str(), nullptr)) {
        *why = "cannot create " + Narrow(d);
        return false;
      }
      if (!ApplyTransportDir(s, d, why)) return false;
      std::wstring meta = s + kMeta;
      if (!Exists(meta)) {
        *why = "directory " + Narrow(s) + " has no " + Narrow(kMeta) + " sibling";
        return false;
      }
      if (!ApplyTransportFile(meta, d, true, why)) return false;
    } else {
      if (IsDir(d)) RemoveTree(d);
      if (!ApplyTransportFile(s, d, false, why)) return false;
    }
  }
  return true;
}

// --- scratch volume -> transport folder (ExportLayer) --------------------------------------------

class Exporter {
 public:
  Exporter(std::wstring volume, std::wstring parent, std::wstring out)
      : volume_(std::move(volume)), parent_(std::move(parent)), out_(std::move(out)) {}

  bool Run(std::string* why) {
    if (!CreateDirectoryW(Join(out_, L"Files").c_str(), nullptr) ||
        !WriteMeta(Join(out_, L"Files.$wcidirs$"), volume_, FILE_ATTRIBUTE_DIRECTORY)) {
      *why = "cannot write " + Narrow(out_) + "\\Files";
      return false;
    }
    if (!Walk(L"", why)) return false;
    if (!WriteHives(why)) return false;
    if (!tombstones_.empty()) {
      std::string text = "\xEF\xBB\xBFVersion 1.0\r\n";
      for (const auto& t : tombstones_) text += Narrow(t) + "\r\n";
      if (!WriteText(Join(out_, L"tombstones.txt"), text)) {
        *why = "cannot write tombstones.txt";
        return false;
      }
    }
    return true;
  }
  size_t changed() const { return changed_; }
  size_t deleted() const { return tombstones_.size(); }

 private:
  static std::map<std::wstring, Entry> ByName(const std::wstring& dir) {
    std::map<std::wstring, Entry> m;
    for (auto& e : List(dir)) m.emplace(LowerW(e.name), e);
    return m;
  }

  static bool SameContent(const std::wstring& a, const std::wstring& b) {
    std::string x, y;
    return ReadText(a, &x) && ReadText(b, &y) && x == y;
  }

  bool Walk(const std::wstring& rel, std::string* why) {
    auto vol = ByName(Join(volume_, rel));
    auto par = ByName(Join(parent_, rel));
    for (const auto& [key, e] : vol) {
      std::wstring r = rel.empty() ? e.name : rel + L"\\" + e.name;
      auto it = par.find(key);
      bool is_dir = e.attributes & FILE_ATTRIBUTE_DIRECTORY;
      bool in_parent = it != par.end() && ((it->second.attributes & FILE_ATTRIBUTE_DIRECTORY) ==
                                           (e.attributes & FILE_ATTRIBUTE_DIRECTORY));
      if (is_dir) {
        if (!in_parent && !EnsureDir(r, why)) return false;
        if (!Walk(r, why)) return false;
        continue;
      }
      if (in_parent && it->second.size == e.size &&
          CompareFileTime(&it->second.write_time, &e.write_time) == 0 &&
          SameContent(Join(volume_, r), Join(parent_, r)))
        continue;
      if (!EmitFile(r, e, why)) return false;
    }
    for (const auto& [key, e] : par)
      if (!vol.count(key)) tombstones_.push_back(L"\\" + (rel.empty() ? e.name : rel + L"\\" + e.name));
    return true;
  }

  // Attribute word + SECURITY stream (+ DATA stream for files), times of `source`.
  bool WriteMeta(const std::wstring& dest, const std::wstring& source, DWORD attributes,
                 bool with_data = false) {
    HANDLE out = CreateFileW(dest.c_str(), GENERIC_WRITE | FILE_WRITE_ATTRIBUTES, 0, nullptr,
                             CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (out == INVALID_HANDLE_VALUE) return false;
    bool ok = true;
    auto put = [&](const void* p, DWORD size) {
      DWORD w = 0;
      ok = ok && WriteFile(out, p, size, &w, nullptr) && w == size;
    };
    put(&attributes, 4);
    StreamHeader sec{BACKUP_SECURITY_DATA, 0, {}, 0};
    sec.size.QuadPart = sizeof kSdAdmin;
    put(&sec, 20);
    put(kSdAdmin, sizeof kSdAdmin);
    HANDLE in = CreateFileW(source.c_str(), GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE,
                            nullptr, OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
    ok = ok && in != INVALID_HANDLE_VALUE;
    if (ok && with_data) {
      LARGE_INTEGER size{};
      GetFileSizeEx(in, &size);
      StreamHeader data{BACKUP_DATA, 0, size, 0};
      put(&data, 20);
      std::vector<char> buf(1 << 16);
      DWORD n = 0;
      while (ok && ReadFile(in, buf.data(), static_cast<DWORD>(buf.size()), &n, nullptr) && n > 0)
        put(buf.data(), n);
    }
    if (ok) {
      FILE_BASIC_INFO b{};
      ok = GetFileInformationByHandleEx(in, FileBasicInfo, &b, sizeof b);
      b.FileAttributes = FILE_ATTRIBUTE_NORMAL;  // the transport file's own; the word carries them
      ok = ok && SetFileInformationByHandle(out, FileBasicInfo, &b, sizeof b);
    }
    if (in != INVALID_HANDLE_VALUE) CloseHandle(in);
    CloseHandle(out);
    return ok;
  }

  bool EnsureDir(const std::wstring& rel, std::string* why) {
    if (done_dirs_.count(LowerW(rel))) return true;
    size_t slash = rel.find_last_of(L'\\');
    if (slash != std::wstring::npos && !EnsureDir(rel.substr(0, slash), why)) return false;
    std::wstring src = Join(volume_, rel), dst = Join(Join(out_, L"Files"), rel);
    if (!CreateDirectoryW(dst.c_str(), nullptr) ||
        !WriteMeta(dst + L".$wcidirs$", src, GetFileAttributesW(src.c_str()))) {
      *why = "cannot export directory " + Narrow(rel);
      return false;
    }
    done_dirs_.insert(LowerW(rel));
    ++changed_;
    return true;
  }

  bool EmitFile(const std::wstring& rel, const Entry& e, std::string* why) {
    size_t slash = rel.find_last_of(L'\\');
    if (slash != std::wstring::npos && !EnsureDir(rel.substr(0, slash), why)) return false;
    if (!WriteMeta(Join(Join(out_, L"Files"), rel), Join(volume_, rel), e.attributes, true)) {
      *why = "cannot export " + Narrow(rel);
      return false;
    }
    ++changed_;
    return true;
  }

  // Placeholder hive deltas (real exports carry registry hive files; the simulation has no
  // registry per container). Marked as such in their content.
  bool WriteHives(std::string* why) {
    std::wstring hives = Join(out_, L"Hives");
    if (!CreateDirectoryW(hives.c_str(), nullptr)) {
      *why = "cannot create Hives";
      return false;
    }
    for (const wchar_t* h : {L"DefaultUser_Delta", L"Sam_Delta", L"Security_Delta",
                             L"Software_Delta", L"System_Delta"})
      if (!WriteText(Join(hives, h), "hcssim placeholder hive (not a registry hive)\n")) {
        *why = "cannot write Hives";
        return false;
      }
    return true;
  }

  std::wstring volume_, parent_, out_;
  std::vector<std::wstring> tombstones_;
  std::set<std::wstring> done_dirs_;
  size_t changed_ = 0;
};

// --- BackupWrite for wine (see the file comment) -------------------------------------------------

struct BackupWriteState {
  FILE_BASIC_INFO times{};  // as set by the caller before the first write
  bool have_times = false;
  unsigned char header[20];
  size_t header_have = 0;
  uint64_t name_left = 0, data_left = 0;
  DWORD stream = 0;
};

BOOL WINAPI SimBackupWrite(HANDLE file, LPBYTE buffer, DWORD size, LPDWORD written, BOOL abort,
                           BOOL /*process_security*/, LPVOID* context) {
  auto* st = static_cast<BackupWriteState*>(*context);
  if (abort) {
    // NTFS keeps times a caller set explicitly on a handle when it later writes through it
    // (kiln, like hcsshim, sets FILE_BASIC_INFO before BackupWrite); wine's unix files take the
    // write time. Put the caller's times back, as NTFS would have kept them.
    if (st && st->have_times) {
      FILE_BASIC_INFO b = st->times;
      b.FileAttributes = 0;  // unchanged
      SetFileInformationByHandle(file, FileBasicInfo, &b, sizeof b);
    }
    delete st;
    *context = nullptr;
    if (written) *written = 0;
    return TRUE;
  }
  if (!st) {
    *context = st = new BackupWriteState();
    st->have_times = GetFileInformationByHandleEx(file, FileBasicInfo, &st->times, sizeof st->times);
  }
  DWORD used = 0;
  while (used < size) {
    if (st->name_left == 0 && st->data_left == 0 && st->header_have < 20) {
      size_t take = std::min<size_t>(20 - st->header_have, size - used);
      std::memcpy(st->header + st->header_have, buffer + used, take);
      st->header_have += take;
      used += static_cast<DWORD>(take);
      if (st->header_have == 20) {
        StreamHeader h;
        std::memcpy(&h, st->header, 20);
        st->stream = h.id;
        st->name_left = h.name_size;
        st->data_left = static_cast<uint64_t>(h.size.QuadPart);
        if (st->name_left == 0 && st->data_left == 0) st->header_have = 0;
      }
      continue;
    }
    if (st->name_left > 0) {
      DWORD take = static_cast<DWORD>(std::min<uint64_t>(st->name_left, size - used));
      st->name_left -= take;
      used += take;
    } else {
      DWORD take = static_cast<DWORD>(std::min<uint64_t>(st->data_left, size - used));
      if (st->stream == BACKUP_DATA) {
        DWORD w = 0;
        if (!WriteFile(file, buffer + used, take, &w, nullptr) || w != take) return FALSE;
      }
      st->data_left -= take;
      used += take;
    }
    if (st->name_left == 0 && st->data_left == 0) st->header_have = 0;
  }
  if (written) *written = used;
  return TRUE;
}

// True when this process runs under wine and its BackupWrite is the stub.
bool WineBackupWriteIsStub() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (!ntdll || !GetProcAddress(ntdll, "wine_get_version")) return false;
  return true;
}

void PatchBackupWrite() {
  if (Env("HCSSIM_BACKUPWRITE", "1") == "0" || !WineBackupWriteIsStub()) return;
  auto* base = reinterpret_cast<unsigned char*>(GetModuleHandleW(nullptr));
  auto* dos = reinterpret_cast<IMAGE_DOS_HEADER*>(base);
  auto* nt = reinterpret_cast<IMAGE_NT_HEADERS*>(base + dos->e_lfanew);
  const auto& dir = nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
  if (!dir.VirtualAddress) return;
  for (auto* imp = reinterpret_cast<IMAGE_IMPORT_DESCRIPTOR*>(base + dir.VirtualAddress);
       imp->Name; ++imp) {
    if (_stricmp(reinterpret_cast<char*>(base + imp->Name), "kernel32.dll") != 0) continue;
    auto* names = reinterpret_cast<IMAGE_THUNK_DATA*>(base + imp->OriginalFirstThunk);
    auto* slots = reinterpret_cast<IMAGE_THUNK_DATA*>(base + imp->FirstThunk);
    for (; names->u1.AddressOfData; ++names, ++slots) {
      if (IMAGE_SNAP_BY_ORDINAL(names->u1.Ordinal)) continue;
      auto* by_name = reinterpret_cast<IMAGE_IMPORT_BY_NAME*>(base + names->u1.AddressOfData);
      if (std::strcmp(reinterpret_cast<char*>(by_name->Name), "BackupWrite") != 0) continue;
      DWORD old = 0;
      VirtualProtect(&slots->u1.Function, sizeof(void*), PAGE_READWRITE, &old);
      slots->u1.Function = reinterpret_cast<ULONG_PTR>(&SimBackupWrite);
      VirtualProtect(&slots->u1.Function, sizeof(void*), old, &old);
      Log(kDll, "(wine) BackupWrite", S_OK, "import of the executable patched");
    }
  }
}

}  // namespace

extern "C" {

BOOL WINAPI DllMain(HINSTANCE, DWORD reason, LPVOID) {
  if (reason == DLL_PROCESS_ATTACH) PatchBackupWrite();
  return TRUE;
}

// NameToGuid(PCWSTR name, GUID* guid): hcsshim internal/wclayer/nametoguid.go.
__declspec(dllexport) HRESULT WINAPI NameToGuid(const wchar_t* name, GUID* guid) {
  if (Injected i; Inject("NameToGuid", &i)) return Done("NameToGuid", i.hr, "injected");
  if (!name || !guid) return Done("NameToGuid", E_POINTER, "");
  *guid = GuidOf(name);
  return Done("NameToGuid", S_OK, Narrow(name) + " -> " + GuidString(*guid));
}

// ImportLayer(DriverInfo*, PCWSTR id, PCWSTR importFolder, WC_LAYER_DESCRIPTOR*, count):
// hcsshim internal/wclayer/importlayer.go; hcs-api.md 3.5 B.
__declspec(dllexport) HRESULT WINAPI ImportLayer(DriverInfo* info, const wchar_t* id,
                                                 const wchar_t* folder, WcLayerDescriptor* d,
                                                 ULONG_PTR n) {
  if (Injected i; Inject("ImportLayer", &i)) return Done("ImportLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("ImportLayer", hr, "bad id");
  std::vector<std::wstring> chain;
  std::string why;
  if (HRESULT hr = CheckDescriptors(d, n, &chain, &why); FAILED(hr))
    return Done("ImportLayer", hr, why);
  std::wstring layer = Plain(id), src = Plain(folder ? folder : L"");
  if (!IsDir(Join(src, L"Files")))
    return Done("ImportLayer", Win32(ERROR_PATH_NOT_FOUND), Narrow(src) + " has no Files");
  if (!IsDir(layer) && !CreateDirectoryW(layer.c_str(), nullptr))
    return Done("ImportLayer", Win32(GetLastError()), "cannot create " + Narrow(layer));
  if (!CopyTree(Join(chain[0], L"Files"), Join(layer, L"Files")))
    return Done("ImportLayer", Win32(GetLastError()), "copying the parent's files");
  if (!ApplyTransportDir(Join(src, L"Files"), Join(layer, L"Files"), &why))
    return Done("ImportLayer", Win32(ERROR_INVALID_DATA), why);
  if (IsDir(Join(src, L"Hives")) && !CopyTree(Join(src, L"Hives"), Join(layer, L"Hives")))
    return Done("ImportLayer", Win32(GetLastError()), "copying Hives");
  std::string tomb;
  if (ReadText(Join(src, L"tombstones.txt"), &tomb)) {  // not written by kiln; honoured anyway
    size_t start = 0;
    while (start < tomb.size()) {
      size_t end = tomb.find('\n', start);
      std::string line = tomb.substr(start, end == std::string::npos ? std::string::npos : end - start);
      start = end == std::string::npos ? tomb.size() : end + 1;
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.size() > 1 && line[0] == '\\') RemoveTree(Join(Join(layer, L"Files"), Widen(line.substr(1))));
    }
  }
  return Done("ImportLayer", S_OK, Narrow(layer) + " from " + Narrow(src) + " on " + Narrow(chain[0]));
}

// ExportLayer(DriverInfo*, PCWSTR id, PCWSTR exportFolder, WC_LAYER_DESCRIPTOR*, count):
// hcsshim internal/wclayer/exportlayer.go; the export folder must exist (hcs-api.md 3.5 G).
__declspec(dllexport) HRESULT WINAPI ExportLayer(DriverInfo* info, const wchar_t* id,
                                                 const wchar_t* folder, WcLayerDescriptor* d,
                                                 ULONG_PTR n) {
  if (Injected i; Inject("ExportLayer", &i)) return Done("ExportLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("ExportLayer", hr, "bad id");
  std::vector<std::wstring> chain;
  std::string why, saved;
  if (HRESULT hr = CheckDescriptors(d, n, &chain, &why); FAILED(hr))
    return Done("ExportLayer", hr, why);
  std::wstring scratch = Plain(id), out = Plain(folder ? folder : L"");
  if (!IsDir(out)) return Done("ExportLayer", Win32(ERROR_PATH_NOT_FOUND), "no export folder");
  if (!List(out).empty())
    return Done("ExportLayer", Win32(ERROR_DIR_NOT_EMPTY), "export folder not empty");
  if (!ReadText(ScratchChain(scratch), &saved) || saved != JoinChain(chain))
    return Done("ExportLayer", kHcsInvalidLayer, "parents differ from CreateSandboxLayer's");
  if (!Activated(scratch)) return Done("ExportLayer", kHcsInvalidState, "scratch not activated");
  if (!IsDir(ScratchVolume(scratch)))
    return Done("ExportLayer", kHcsInvalidState, "scratch volume in use by a running container");
  Exporter exporter(ScratchVolume(scratch), Join(chain[0], L"Files"), out);
  if (!exporter.Run(&why)) return Done("ExportLayer", Win32(ERROR_WRITE_FAULT), why);
  return Done("ExportLayer", S_OK,
              Narrow(scratch) + ": " + std::to_string(exporter.changed()) + " changed, " +
                  std::to_string(exporter.deleted()) + " deleted");
}

// ProcessBaseImage(PCWSTR path): hcsshim internal/wclayer/baselayerwriter.go (Close).
__declspec(dllexport) HRESULT WINAPI ProcessBaseImage(const wchar_t* path) {
  if (Injected i; Inject("ProcessBaseImage", &i)) return Done("ProcessBaseImage", i.hr, "injected");
  if (!path) return Done("ProcessBaseImage", E_POINTER, "");
  std::wstring p = Plain(path);
  if (!IsDir(Join(p, L"Files")))
    return Done("ProcessBaseImage", kHcsInvalidLayer, Narrow(p) + " has no Files");
  return Done("ProcessBaseImage", S_OK, Narrow(p));
}

// ProcessUtilityImage(PCWSTR path): hcsshim internal/wclayer/processimage.go:29-42, called by its
// base-layer writer on <layer>\UtilityVM (baselayerwriter.go:166-179). Real Windows prepares the
// utility VM image there: SystemTemplateBase.vhdx and SystemTemplate.vhdx (wclayer.go:25) and
// changes the boot store (UtilityVM\Files\EFI\Microsoft\Boot\BCD, hence the bcd*.bak copies
// the importer keeps, pkg/ociwclayer/import.go:26-31). The simulation writes the two .vhdx as
// markers (TemplateMarker) and appends a line to the BCD, so that a copy taken before the call
// differs from the processed file as it does on Windows. No learn.microsoft.com page exists for
// this export; the nearest documented call is computestorage's HcsSetupBaseOSLayer.
__declspec(dllexport) HRESULT WINAPI ProcessUtilityImage(const wchar_t* path) {
  const char* fn = "ProcessUtilityImage";
  if (Injected i; Inject(fn, &i)) return Done(fn, i.hr, "injected");
  if (!path) return Done(fn, E_POINTER, "");
  std::wstring uvm = Plain(path);
  if (LowerW(BaseName(uvm)) != L"utilityvm")
    return Done(fn, E_INVALIDARG, Narrow(uvm) + " is not a layer's UtilityVM folder");
  std::wstring layer = uvm.substr(0, uvm.size() - BaseName(uvm).size() - 1);
  if (!IsDir(Join(layer, L"Files")))
    return Done(fn, kHcsInvalidLayer, Narrow(layer) + " is not a layer folder (no Files)");
  if (!IsDir(Join(uvm, L"Files"))) return Done(fn, kHcsInvalidLayer, Narrow(uvm) + " has no Files");
  for (const wchar_t* vhd : {L"SystemTemplateBase.vhdx", L"SystemTemplate.vhdx"})
    if (!WriteText(Join(uvm, vhd), TemplateMarker(uvm)))
      return Done(fn, Win32(GetLastError()), "cannot write " + Narrow(Join(uvm, vhd)));
  std::wstring bcd = Join(uvm, L"Files\\EFI\\Microsoft\\Boot\\BCD");
  std::string text;
  if (ReadText(bcd, &text) && !WriteText(bcd, text + "hcssim: processed by ProcessUtilityImage\n"))
    return Done(fn, Win32(GetLastError()), "cannot update " + Narrow(bcd));
  return Done(fn, S_OK, Narrow(uvm));
}

// GrantVmAccess(PCWSTR vmId, PCWSTR path): hcsshim internal/wclayer/grantvmaccess.go. The
// documented equivalent is computecore.dll's HcsGrantVmAccess(vmId, filePath)
// (https://learn.microsoft.com/en-us/virtualization/api/hcs/reference/hcsgrantvmaccess): it adds
// an entry to the file's ACL granting access to the account the VM with that compute system id
// runs as. The simulation records the id beside the file (GrantFile); a utility VM may open
// only VHDs granted to it (checked at HcsStartComputeSystem).
__declspec(dllexport) HRESULT WINAPI GrantVmAccess(const wchar_t* vm_id, const wchar_t* path) {
  const char* fn = "GrantVmAccess";
  if (Injected i; Inject(fn, &i)) return Done(fn, i.hr, "injected");
  if (!vm_id || !vm_id[0] || !path || !path[0]) return Done(fn, E_INVALIDARG, "");
  std::wstring file = Plain(path);
  DWORD a = GetFileAttributesW(file.c_str());
  if (a == INVALID_FILE_ATTRIBUTES) return Done(fn, Win32(ERROR_FILE_NOT_FOUND), Narrow(file));
  if (a & FILE_ATTRIBUTE_DIRECTORY) return Done(fn, E_INVALIDARG, Narrow(file) + " is a directory");
  std::string id = Narrow(vm_id), text;
  if (!Granted(file, id)) {
    ReadText(GrantFile(file), &text);
    if (!WriteText(GrantFile(file), text + id + "\n"))
      return Done(fn, Win32(GetLastError()), "cannot record the grant for " + Narrow(file));
  }
  return Done(fn, S_OK, id + " " + Narrow(file));
}

// CreateSandboxLayer(DriverInfo*, PCWSTR id, PCWSTR parentId (NULL), WC_LAYER_DESCRIPTOR*,
// count): hcsshim internal/wclayer/createscratchlayer.go.
__declspec(dllexport) HRESULT WINAPI CreateSandboxLayer(DriverInfo* info, const wchar_t* id,
                                                        const wchar_t* parent,
                                                        WcLayerDescriptor* d, ULONG_PTR n) {
  if (Injected i; Inject("CreateSandboxLayer", &i)) return Done("CreateSandboxLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("CreateSandboxLayer", hr, "bad id");
  if (parent && parent[0]) return Done("CreateSandboxLayer", E_INVALIDARG, "parent id given");
  std::vector<std::wstring> chain;
  std::string why;
  if (HRESULT hr = CheckDescriptors(d, n, &chain, &why); FAILED(hr))
    return Done("CreateSandboxLayer", hr, why);
  std::wstring s = Plain(id);
  if (Exists(s)) return Done("CreateSandboxLayer", Win32(ERROR_ALREADY_EXISTS), Narrow(s));
  if (!CreateDirectoryW(s.c_str(), nullptr))
    return Done("CreateSandboxLayer", Win32(GetLastError()), "cannot create " + Narrow(s));
  if (!WriteText(Join(s, L"sandbox.vhdx"), "") || !WriteText(ScratchChain(s), JoinChain(chain)))
    return Done("CreateSandboxLayer", Win32(GetLastError()), "cannot write " + Narrow(s));
  return Done("CreateSandboxLayer", S_OK, Narrow(s));
}

// ExpandSandboxSize(DriverInfo*, PCWSTR id, UINT64 size): hcsshim
// internal/wclayer/expandscratchsize.go.
__declspec(dllexport) HRESULT WINAPI ExpandSandboxSize(DriverInfo* info, const wchar_t* id,
                                                       UINT64 size) {
  if (Injected i; Inject("ExpandSandboxSize", &i)) return Done("ExpandSandboxSize", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("ExpandSandboxSize", hr, "bad id");
  if (!Exists(Join(Plain(id), L"sandbox.vhdx")))
    return Done("ExpandSandboxSize", Win32(ERROR_FILE_NOT_FOUND), "no sandbox.vhdx");
  if (Activated(Plain(id))) return Done("ExpandSandboxSize", kHcsInvalidState, "activated");
  if (size < (uint64_t{20} << 30)) return Done("ExpandSandboxSize", E_INVALIDARG, "shrinks");
  return Done("ExpandSandboxSize", S_OK, std::to_string(size >> 30) + " GiB");
}

// ActivateLayer(DriverInfo*, PCWSTR id): hcsshim internal/wclayer/activatelayer.go.
__declspec(dllexport) HRESULT WINAPI ActivateLayer(DriverInfo* info, const wchar_t* id) {
  if (Injected i; Inject("ActivateLayer", &i)) return Done("ActivateLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("ActivateLayer", hr, "bad id");
  std::wstring s = Plain(id);
  if (!Exists(Join(s, L"sandbox.vhdx")))
    return Done("ActivateLayer", Win32(ERROR_FILE_NOT_FOUND), "no sandbox.vhdx in " + Narrow(s));
  if (std::string vm = VmHolding(Join(s, L"sandbox.vhdx")); !vm.empty())
    return Done("ActivateLayer", Win32(ERROR_SHARING_VIOLATION), "utility VM " + vm + " holds it");
  CreateDirectoryW(StateDir().c_str(), nullptr);
  CreateDirectoryW(Join(StateDir(), L"volumes").c_str(), nullptr);
  if (!WriteText(VolumeFile(VolumeGuid(s)), Narrow(s)))
    return Done("ActivateLayer", Win32(GetLastError()), "cannot record the volume");
  return Done("ActivateLayer", S_OK, Narrow(s) + " -> Volume{" + VolumeGuid(s) + "}");
}

// DeactivateLayer(DriverInfo*, PCWSTR id): hcsshim internal/wclayer/deactivatelayer.go.
__declspec(dllexport) HRESULT WINAPI DeactivateLayer(DriverInfo* info, const wchar_t* id) {
  if (Injected i; Inject("DeactivateLayer", &i)) return Done("DeactivateLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("DeactivateLayer", hr, "bad id");
  std::wstring s = Plain(id);
  if (Exists(ScratchPrepared(s)))
    return Done("DeactivateLayer", kHcsInvalidState, "still prepared");
  if (!IsDir(ScratchVolume(s)) && Exists(Join(s, L"sandbox.vhdx")) && Activated(s) &&
      IsDir(Join(StateDir(), L"drive")))
    return Done("DeactivateLayer", Win32(ERROR_BUSY), "a container runs on it");
  DeleteFileW(VolumeFile(VolumeGuid(s)).c_str());
  return Done("DeactivateLayer", S_OK, Narrow(s));
}

// PrepareLayer(DriverInfo*, PCWSTR id, WC_LAYER_DESCRIPTOR*, count): hcsshim
// internal/wclayer/preparelayer.go.
__declspec(dllexport) HRESULT WINAPI PrepareLayer(DriverInfo* info, const wchar_t* id,
                                                  WcLayerDescriptor* d, ULONG_PTR n) {
  if (Injected i; Inject("PrepareLayer", &i)) return Done("PrepareLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("PrepareLayer", hr, "bad id");
  std::vector<std::wstring> chain;
  std::string why, saved;
  if (HRESULT hr = CheckDescriptors(d, n, &chain, &why); FAILED(hr))
    return Done("PrepareLayer", hr, why);
  std::wstring s = Plain(id);
  if (!Activated(s)) return Done("PrepareLayer", kHcsInvalidState, "not activated");
  if (!ReadText(ScratchChain(s), &saved) || saved != JoinChain(chain))
    return Done("PrepareLayer", kHcsInvalidLayer, "parents differ from CreateSandboxLayer's");
  if (!IsDir(ScratchVolume(s)) && !CopyTree(Join(chain[0], L"Files"), ScratchVolume(s)))
    return Done("PrepareLayer", Win32(GetLastError()), "materialising " + Narrow(chain[0]));
  WriteText(ScratchPrepared(s), "");
  return Done("PrepareLayer", S_OK, Narrow(s) + " on " + std::to_string(chain.size()) + " layers");
}

// UnprepareLayer(DriverInfo*, PCWSTR id): hcsshim internal/wclayer/unpreparelayer.go.
__declspec(dllexport) HRESULT WINAPI UnprepareLayer(DriverInfo* info, const wchar_t* id) {
  if (Injected i; Inject("UnprepareLayer", &i)) return Done("UnprepareLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("UnprepareLayer", hr, "bad id");
  std::wstring s = Plain(id);
  if (!Exists(ScratchPrepared(s))) return Done("UnprepareLayer", kHcsInvalidState, "not prepared");
  DeleteFileW(ScratchPrepared(s).c_str());
  return Done("UnprepareLayer", S_OK, Narrow(s));
}

// GetLayerMountPath(DriverInfo*, PCWSTR id, SIZE_T* length, PWSTR buffer): two calls, length in
// WCHARs including the terminator (hcsshim internal/wclayer/getlayermountpath.go allocates
// exactly `length` and converts up to the NUL).
__declspec(dllexport) HRESULT WINAPI GetLayerMountPath(DriverInfo* info, const wchar_t* id,
                                                       SIZE_T* length, wchar_t* buffer) {
  if (Injected i; Inject("GetLayerMountPath", &i)) return Done("GetLayerMountPath", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("GetLayerMountPath", hr, "bad id");
  if (!length) return Done("GetLayerMountPath", E_POINTER, "");
  std::wstring s = Plain(id);
  if (!Activated(s)) {
    *length = 0;
    return Done("GetLayerMountPath", S_OK, "not activated: no path");
  }
  std::wstring path = L"\\\\?\\Volume{" + Widen(VolumeGuid(s)) + L"}";
  if (!buffer) {
    *length = path.size() + 1;
    return Done("GetLayerMountPath", S_OK, "length");
  }
  if (*length < path.size() + 1) return Done("GetLayerMountPath", Win32(ERROR_INSUFFICIENT_BUFFER), "");
  std::memcpy(buffer, path.c_str(), (path.size() + 1) * sizeof(wchar_t));
  return Done("GetLayerMountPath", S_OK, Narrow(path));
}

// DestroyLayer(DriverInfo*, PCWSTR id): hcsshim internal/wclayer/destroylayer.go. Refuses a
// scratch that is still activated or in use by a container (moby PR #20270's sharing violation).
__declspec(dllexport) HRESULT WINAPI DestroyLayer(DriverInfo* info, const wchar_t* id) {
  if (Injected i; Inject("DestroyLayer", &i)) return Done("DestroyLayer", i.hr, "injected");
  if (HRESULT hr = CheckInfo(info, id); FAILED(hr)) return Done("DestroyLayer", hr, "bad id");
  std::wstring s = Plain(id);
  if (Activated(s)) return Done("DestroyLayer", Win32(ERROR_SHARING_VIOLATION), "still activated");
  if (std::string vm = VmHolding(Join(s, L"sandbox.vhdx")); !vm.empty())
    return Done("DestroyLayer", Win32(ERROR_SHARING_VIOLATION), "utility VM " + vm + " holds it");
  if (!RemoveTree(s)) return Done("DestroyLayer", Win32(ERROR_ACCESS_DENIED), "left " + Narrow(s));
  return Done("DestroyLayer", S_OK, Narrow(s));
}

}  // extern "C"

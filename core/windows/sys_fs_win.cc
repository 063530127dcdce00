// core/sys_fs.h on Windows: Win32 calls on `\\?\` paths, descriptors are msvcrt descriptors
// over the Win32 handles (_open_osfhandle), errors mapped to errno.
#include <windows.h>
#include <winioctl.h>
#include <io.h>
#include <fcntl.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <random>

#include "core/sys_fs.h"
#include "core/windows/win_text.h"

namespace kiln::sys {
namespace {

int Fail(DWORD error = GetLastError()) {
  errno = ErrnoFromWin32(error);
  return -1;
}

HANDLE H(int fd) { return reinterpret_cast<HANDLE>(_get_osfhandle(fd)); }

// FILETIME (100 ns since 1601) -> Unix seconds + nanoseconds.
void FromFileTime(int64_t t, int64_t* sec, uint32_t* nsec) {
  constexpr int64_t kEpoch = 116444736000000000LL;
  int64_t u = t - kEpoch;
  int64_t s = u / 10000000;
  int64_t r = u % 10000000;
  if (r < 0) {
    r += 10000000;
    --s;
  }
  *sec = s;
  *nsec = static_cast<uint32_t>(r * 100);
}

// The reparse data of a symlink or mount point (the documented REPARSE_DATA_BUFFER layout).
struct ReparseBuffer {
  ULONG tag;
  USHORT data_length;
  USHORT reserved;
  USHORT substitute_offset;
  USHORT substitute_length;
  USHORT print_offset;
  USHORT print_length;
  // Symlinks have a ULONG of flags here, mount points do not.
};

constexpr ULONG kSymlinkRelative = 1;

int StatHandle(HANDLE h, FileStat* st) {
  BY_HANDLE_FILE_INFORMATION info;
  if (!GetFileInformationByHandle(h, &info)) return Fail();
  FILE_BASIC_INFO basic{};
  bool have_basic = GetFileInformationByHandleEx(h, FileBasicInfo, &basic, sizeof basic);
  DWORD attrs = info.dwFileAttributes;
  bool link = false;
  if (attrs & FILE_ATTRIBUTE_REPARSE_POINT) {
    FILE_ATTRIBUTE_TAG_INFO tag{};
    if (GetFileInformationByHandleEx(h, FileAttributeTagInfo, &tag, sizeof tag))
      link = tag.ReparseTag == IO_REPARSE_TAG_SYMLINK ||
             tag.ReparseTag == IO_REPARSE_TAG_MOUNT_POINT;
  }
  *st = FileStat{};
  if (link) {
    st->kind = Kind::kSymlink;
    st->mode = kModeSymlink | 0777;
  } else if (attrs & FILE_ATTRIBUTE_DIRECTORY) {
    st->kind = Kind::kDirectory;
    st->mode = kModeDirectory | 0755;
  } else {
    DWORD type = GetFileType(h);
    st->kind = type == FILE_TYPE_CHAR ? Kind::kCharDevice
               : type == FILE_TYPE_PIPE ? Kind::kFifo
                                        : Kind::kRegular;
    // Windows has no execute bits. As docker's and BuildKit's Windows clients do (BuildKit's
    // contenthash: perm & 0755 | 0111 of Go's 0666/0444), every file counts as executable:
    // 0755, or 0555 when read-only. Only Linux-format layers use these bits.
    st->mode = (st->kind == Kind::kRegular ? kModeRegular : 0) |
               ((attrs & FILE_ATTRIBUTE_READONLY) ? 0555 : 0755);
  }
  st->size = link || st->kind == Kind::kDirectory
                 ? 0
                 : (static_cast<uint64_t>(info.nFileSizeHigh) << 32) | info.nFileSizeLow;
  int64_t mtime = (static_cast<int64_t>(info.ftLastWriteTime.dwHighDateTime) << 32) |
                  info.ftLastWriteTime.dwLowDateTime;
  FromFileTime(mtime, &st->mtime_sec, &st->mtime_nsec);
  int64_t change = have_basic ? basic.ChangeTime.QuadPart : mtime;
  int64_t csec;
  uint32_t cnsec;
  FromFileTime(change, &csec, &cnsec);
  st->ctime_ns = csec * 1000000000LL + cnsec;
  st->dev = info.dwVolumeSerialNumber;
  st->ino = (static_cast<uint64_t>(info.nFileIndexHigh) << 32) | info.nFileIndexLow;
  st->nlink = info.nNumberOfLinks;
  return 0;
}

HANDLE OpenForInfo(const std::string& path, bool follow) {
  DWORD flags = FILE_FLAG_BACKUP_SEMANTICS | (follow ? 0 : FILE_FLAG_OPEN_REPARSE_POINT);
  return CreateFileW(Win32Path(path).c_str(), FILE_READ_ATTRIBUTES,
                     FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     OPEN_EXISTING, flags, nullptr);
}

int StatPath(const std::string& path, FileStat* st, bool follow) {
  HANDLE h = OpenForInfo(path, follow);
  if (h == INVALID_HANDLE_VALUE) return Fail();
  int rc = StatHandle(h, st);
  DWORD e = GetLastError();
  CloseHandle(h);
  if (rc != 0) return Fail(e);
  return 0;
}

std::string RandomSuffix() {
  static constexpr char kChars[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}() ^
                                   (static_cast<uint64_t>(GetCurrentProcessId()) << 32) ^
                                   GetTickCount64());
  std::string s(6, 'X');
  for (char& c : s) c = kChars[rng() % (sizeof kChars - 1)];
  return s;
}

}  // namespace

std::wstring Utf8ToWide(std::string_view utf8) {
  if (utf8.empty()) return {};
  int n = MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
  std::wstring out(static_cast<size_t>(n), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
  return out;
}

std::string WideToUtf8(std::wstring_view wide) {
  if (wide.empty()) return {};
  int n = WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0,
                              nullptr, nullptr);
  std::string out(static_cast<size_t>(n), '\0');
  WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(), n,
                      nullptr, nullptr);
  return out;
}

std::wstring Win32Path(const std::string& path) {
  std::wstring w = Utf8ToWide(path);
  for (auto& c : w)
    if (c == L'/') c = L'\\';
  if (w.starts_with(L"\\\\?\\")) return w;
  if (w.empty()) w = L".";
  DWORD n = GetFullPathNameW(w.c_str(), 0, nullptr, nullptr);
  if (n == 0) return w;
  std::wstring full(n, L'\0');
  n = GetFullPathNameW(w.c_str(), n, full.data(), nullptr);
  full.resize(n);
  if (full.starts_with(L"\\\\")) return L"\\\\?\\UNC\\" + full.substr(2);
  return L"\\\\?\\" + full;
}

int ErrnoFromWin32(unsigned long error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME: return ENOENT;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS: return EEXIST;
    case ERROR_ACCESS_DENIED:
    case ERROR_PRIVILEGE_NOT_HELD: return EACCES;
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_IO_PENDING: return EWOULDBLOCK;
    case ERROR_DIRECTORY: return ENOTDIR;
    case ERROR_DIR_NOT_EMPTY: return ENOTEMPTY;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return ENOSPC;
    case ERROR_INVALID_HANDLE: return EBADF;
    case ERROR_NOT_SUPPORTED:
    case ERROR_INVALID_FUNCTION: return EOPNOTSUPP;
    case ERROR_CANT_RESOLVE_FILENAME: return ELOOP;
    case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
    case ERROR_INVALID_NAME: return EINVAL;
    case ERROR_NOT_SAME_DEVICE: return EXDEV;
    default: return EIO;
  }
}

int Open(const std::string& path, int flags, uint32_t mode) {
  (void)mode;
  DWORD access = (flags & kReadWrite) ? GENERIC_READ | GENERIC_WRITE
                 : (flags & kWrite)   ? GENERIC_WRITE
                                      : GENERIC_READ;
  // Others may read, write, rename and delete a file kiln holds open (a blob is renamed into
  // place while its writer still holds it), as on POSIX.
  DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  DWORD disposition = OPEN_EXISTING;
  if ((flags & kCreate) && (flags & kExclusive))
    disposition = CREATE_NEW;
  else if ((flags & kCreate) && (flags & kTruncate))
    disposition = CREATE_ALWAYS;
  else if (flags & kCreate)
    disposition = OPEN_ALWAYS;
  else if (flags & kTruncate)
    disposition = TRUNCATE_EXISTING;
  DWORD attrs = FILE_ATTRIBUTE_NORMAL | FILE_FLAG_BACKUP_SEMANTICS;
  if (flags & kNoFollow) attrs |= FILE_FLAG_OPEN_REPARSE_POINT;
  HANDLE h = CreateFileW(Win32Path(path).c_str(), access, share, nullptr, disposition, attrs,
                         nullptr);
  if (h == INVALID_HANDLE_VALUE) return Fail();
  if ((flags & (kNoFollow | kDirectory)) != 0) {
    FileStat st;
    if (StatHandle(h, &st) != 0) {
      DWORD e = GetLastError();
      CloseHandle(h);
      return Fail(e);
    }
    int e = 0;
    if ((flags & kNoFollow) && st.IsSymlink()) e = ELOOP;
    if ((flags & kDirectory) && !st.IsDir()) e = ENOTDIR;
    if (e) {
      CloseHandle(h);
      errno = e;
      return -1;
    }
  }
  int fd = _open_osfhandle(reinterpret_cast<intptr_t>(h), _O_BINARY |
                                                              ((flags & (kWrite | kReadWrite))
                                                                   ? 0
                                                                   : _O_RDONLY));
  if (fd < 0) {
    CloseHandle(h);
    errno = EMFILE;
    return -1;
  }
  return fd;
}

int64_t Read(int fd, void* buffer, size_t size) {
  DWORD n = 0;
  DWORD want = size > (1u << 30) ? (1u << 30) : static_cast<DWORD>(size);
  if (!ReadFile(H(fd), buffer, want, &n, nullptr)) {
    DWORD e = GetLastError();
    if (e == ERROR_BROKEN_PIPE || e == ERROR_HANDLE_EOF) return 0;
    return Fail(e);
  }
  return n;
}

int64_t Write(int fd, const void* data, size_t size) {
  DWORD n = 0;
  DWORD want = size > (1u << 30) ? (1u << 30) : static_cast<DWORD>(size);
  if (!WriteFile(H(fd), data, want, &n, nullptr)) return Fail();
  return n;
}

int WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    int64_t n = Write(fd, p, size);
    if (n < 0) return -1;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return 0;
}

int Close(int fd) { return _close(fd); }

int Fsync(int fd) { return FlushFileBuffers(H(fd)) ? 0 : Fail(); }

int Seek(int fd, uint64_t offset) {
  LARGE_INTEGER to;
  to.QuadPart = static_cast<LONGLONG>(offset);
  return SetFilePointerEx(H(fd), to, nullptr, FILE_BEGIN) ? 0 : Fail();
}

int Fstat(int fd, FileStat* st) { return StatHandle(H(fd), st); }
int Stat(const std::string& path, FileStat* st) { return StatPath(path, st, true); }
int Lstat(const std::string& path, FileStat* st) { return StatPath(path, st, false); }

int ReadLink(const std::string& path, std::string* target) {
  HANDLE h = CreateFileW(Win32Path(path).c_str(), FILE_READ_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT,
                         nullptr);
  if (h == INVALID_HANDLE_VALUE) return Fail();
  alignas(8) char buf[MAXIMUM_REPARSE_DATA_BUFFER_SIZE];
  DWORD n = 0;
  BOOL ok = DeviceIoControl(h, FSCTL_GET_REPARSE_POINT, nullptr, 0, buf, sizeof buf, &n, nullptr);
  DWORD e = GetLastError();
  CloseHandle(h);
  if (!ok) return Fail(e == ERROR_NOT_A_REPARSE_POINT ? ERROR_INVALID_NAME : e);
  auto* r = reinterpret_cast<const ReparseBuffer*>(buf);
  const char* names = buf + sizeof(ReparseBuffer);
  bool relative = false;
  if (r->tag == IO_REPARSE_TAG_SYMLINK) {
    ULONG link_flags;
    std::memcpy(&link_flags, names, sizeof link_flags);
    relative = link_flags & kSymlinkRelative;
    names += sizeof(ULONG);
  } else if (r->tag != IO_REPARSE_TAG_MOUNT_POINT) {
    errno = EINVAL;
    return -1;
  }
  // The print name is what a user wrote; fall back to the substitute name without "\??\".
  USHORT off = r->print_length ? r->print_offset : r->substitute_offset;
  USHORT len = r->print_length ? r->print_length : r->substitute_length;
  if (static_cast<size_t>(names - buf) + off + len > n) {
    errno = EIO;
    return -1;
  }
  std::wstring w(reinterpret_cast<const wchar_t*>(names + off), len / sizeof(wchar_t));
  if (!relative && w.starts_with(L"\\??\\")) w = w.substr(4);
  *target = WideToUtf8(w);
  return 0;
}

int ListDir(const std::string& path, std::vector<std::string>* names) {
  std::vector<DirEntry> entries;
  if (ListDirKinds(path, &entries) != 0) return -1;
  names->clear();
  for (auto& e : entries) names->push_back(std::move(e.name));
  return 0;
}

int ListDirKinds(const std::string& path, std::vector<DirEntry>* entries) {
  std::wstring pattern = Win32Path(path);
  if (!pattern.ends_with(L'\\')) pattern += L'\\';
  pattern += L'*';
  WIN32_FIND_DATAW data;
  HANDLE h = FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &data, FindExSearchNameMatch,
                              nullptr, 0);
  if (h == INVALID_HANDLE_VALUE) return Fail();
  entries->clear();
  do {
    std::wstring_view n = data.cFileName;
    if (n == L"." || n == L"..") continue;
    DWORD a = data.dwFileAttributes;
    bool link = (a & FILE_ATTRIBUTE_REPARSE_POINT) &&
                (data.dwReserved0 == IO_REPARSE_TAG_SYMLINK ||
                 data.dwReserved0 == IO_REPARSE_TAG_MOUNT_POINT);
    Kind kind = link                              ? Kind::kSymlink
                : (a & FILE_ATTRIBUTE_DIRECTORY) ? Kind::kDirectory
                                                 : Kind::kRegular;
    entries->push_back({WideToUtf8(n), kind});
  } while (FindNextFileW(h, &data));
  DWORD e = GetLastError();
  FindClose(h);
  if (e != ERROR_NO_MORE_FILES) return Fail(e);
  return 0;
}

int MakeDir(const std::string& path, uint32_t mode) {
  (void)mode;
  return CreateDirectoryW(Win32Path(path).c_str(), nullptr) ? 0 : Fail();
}

int Chmod(const std::string& path, uint32_t mode) {
  (void)path;
  (void)mode;
  return 0;
}

int Fchmod(int fd, uint32_t mode) {
  (void)fd;
  (void)mode;
  return 0;
}

int Rename(const std::string& from, const std::string& to) {
  return MoveFileExW(Win32Path(from).c_str(), Win32Path(to).c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_COPY_ALLOWED)
             ? 0
             : Fail();
}

int Unlink(const std::string& path) {
  std::wstring w = Win32Path(path);
  if (DeleteFileW(w.c_str())) return 0;
  DWORD e = GetLastError();
  // A directory symlink or junction is removed as a directory.
  if (e == ERROR_ACCESS_DENIED && RemoveDirectoryW(w.c_str())) return 0;
  return Fail(e);
}

int HardLink(const std::string& existing, const std::string& path) {
  return CreateHardLinkW(Win32Path(path).c_str(), Win32Path(existing).c_str(), nullptr) ? 0
                                                                                      : Fail();
}

int Lock(int fd, LockMode mode, bool nonblocking) {
  HANDLE h = H(fd);
  BY_HANDLE_FILE_INFORMATION info;
  if (GetFileInformationByHandle(h, &info) && (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
    errno = EOPNOTSUPP;  // no byte ranges on a directory (owned_temp_win.cc uses share modes)
    return -1;
  }
  // One byte far past any real file end, so the lock never blocks reads or writes of the data
  // (Windows byte-range locks are mandatory). A held lock is released before a mode change, as
  // flock converts.
  OVERLAPPED at{};
  at.Offset = 0;
  at.OffsetHigh = 0x7fffffff;
  bool held = UnlockFileEx(h, 0, 1, 0, &at);
  DWORD flags = (mode == LockMode::kExclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0) |
                (nonblocking ? LOCKFILE_FAIL_IMMEDIATELY : 0);
  if (LockFileEx(h, flags, 0, 1, 0, &at)) return 0;
  DWORD e = GetLastError();
  // A failed upgrade keeps the shared lock it had (only shared -> exclusive can fail).
  if (held) LockFileEx(h, 0, 0, 1, 0, &at);
  return Fail(e);
}

namespace {

// mkstemp's loop: `create` (an fd >= 0 or 0 on success, -1 with errno) on the template with its
// XXXXXX replaced, until a name is free.
template <typename Create>
int FillTemplate(std::string& path_template, Create create) {
  if (!path_template.ends_with("XXXXXX")) {
    errno = EINVAL;
    return -1;
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string path = path_template;
    path.replace(path.size() - 6, 6, RandomSuffix());
    int r = create(path);
    if (r >= 0) {
      path_template = path;
      return r;
    }
    if (errno != EEXIST) return -1;
  }
  errno = EEXIST;
  return -1;
}

}  // namespace

int MakeTempFile(std::string& path_template) {
  return FillTemplate(path_template,
                      [](const std::string& p) { return Open(p, kReadWrite | kCreate | kExclusive); });
}

int MakeTempDir(std::string& path_template) {
  return FillTemplate(path_template, [](const std::string& p) { return MakeDir(p, 0700); });
}

int SyncDir(const std::string& path) {
  (void)path;
  return 0;
}

int CloneFile(int in, int out) {
  (void)in;
  (void)out;
  errno = EOPNOTSUPP;
  return -1;
}

void AdviseSequential(int fd) { (void)fd; }

uint32_t ProcessId() { return GetCurrentProcessId(); }
uint32_t EffectiveUid() { return 0; }
std::string ErrorText(int errnum) { return std::strerror(errnum); }

namespace {

// One bracket expression at p[i] == '['; sets `end` past it. -1: not a bracket (literal '[').
int MatchBracket(const std::string& p, size_t i, unsigned char c, size_t* end) {
  size_t j = i + 1;
  bool negate = j < p.size() && (p[j] == '!' || p[j] == '^');
  if (negate) ++j;
  bool matched = false;
  bool first = true;
  while (j < p.size() && (first || p[j] != ']')) {
    first = false;
    if (p[j] == '[' && j + 1 < p.size() && p[j + 1] == ':') {
      size_t close = p.find(":]", j + 2);
      if (close != std::string::npos) {
        std::string cls = p.substr(j + 2, close - j - 2);
        int (*fn)(int) = cls == "alpha"   ? isalpha
                         : cls == "digit" ? isdigit
                         : cls == "alnum" ? isalnum
                         : cls == "upper" ? isupper
                         : cls == "lower" ? islower
                         : cls == "space" ? isspace
                         : cls == "punct" ? ispunct
                         : cls == "xdigit" ? isxdigit
                         : cls == "print" ? isprint
                         : cls == "graph" ? isgraph
                         : cls == "cntrl" ? iscntrl
                         : cls == "blank" ? isblank
                                          : nullptr;
        if (!fn) return -1;
        if (c < 0x80 && fn(c)) matched = true;
        j = close + 2;
        continue;
      }
    }
    unsigned char lo = static_cast<unsigned char>(p[j]);
    if (lo == '\\' && j + 1 < p.size()) lo = static_cast<unsigned char>(p[++j]);
    ++j;
    unsigned char hi = lo;
    if (j + 1 < p.size() && p[j] == '-' && p[j + 1] != ']') {
      hi = static_cast<unsigned char>(p[j + 1]);
      if (hi == '\\' && j + 2 < p.size()) {
        hi = static_cast<unsigned char>(p[j + 2]);
        ++j;
      }
      j += 2;
    }
    if (lo <= c && c <= hi) matched = true;
  }
  if (j >= p.size()) return -1;  // no closing ']'
  *end = j + 1;
  return matched != negate;
}

bool Match(const std::string& p, size_t i, const std::string& n, size_t k) {
  while (i < p.size()) {
    char pc = p[i];
    if (pc == '*') {
      while (i < p.size() && p[i] == '*') ++i;
      if (i == p.size()) return true;
      for (size_t s = k; s <= n.size(); ++s)
        if (Match(p, i, n, s)) return true;
      return false;
    }
    if (k == n.size()) return false;
    unsigned char c = static_cast<unsigned char>(n[k]);
    if (pc == '?') {
      ++i;
      ++k;
      continue;
    }
    if (pc == '[') {
      size_t end = 0;
      int r = MatchBracket(p, i, c, &end);
      if (r >= 0) {
        if (!r) return false;
        i = end;
        ++k;
        continue;
      }
    } else if (pc == '\\' && i + 1 < p.size()) {
      pc = p[++i];
    }
    if (static_cast<unsigned char>(pc) != c) return false;
    ++i;
    ++k;
  }
  return k == n.size();
}

}  // namespace

bool FnMatch(const std::string& pattern, const std::string& name) {
  return Match(pattern, 0, name, 0);
}

int RealPath(const std::string& path, std::string* resolved) {
  HANDLE h = CreateFileW(Win32Path(path).c_str(), FILE_READ_ATTRIBUTES,
                         FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                         OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return Fail();
  std::wstring out(32768, L'\0');
  DWORD n = GetFinalPathNameByHandleW(h, out.data(), static_cast<DWORD>(out.size()),
                                      FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  DWORD e = GetLastError();
  CloseHandle(h);
  if (n == 0 || n >= out.size()) return Fail(e);
  out.resize(n);
  if (out.starts_with(L"\\\\?\\UNC\\"))
    out = L"\\\\" + out.substr(8);
  else if (out.starts_with(L"\\\\?\\"))
    out = out.substr(4);
  std::string s = WideToUtf8(out);
  for (char& c : s)
    if (c == '\\') c = '/';
  *resolved = std::move(s);
  return 0;
}

std::FILE* FOpen(const std::string& path, const char* mode) {
  return _wfopen(Win32Path(path).c_str(), Utf8ToWide(mode).c_str());
}

}  // namespace kiln::sys

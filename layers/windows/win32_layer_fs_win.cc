#include <algorithm>
#include <cstring>

#include "layers/windows/layer_entry.h"
#include "layers/windows/win32_layer_fs.h"
#include "layers/windows/win32_util_win.h"

namespace kiln::layers::windows {
namespace {

constexpr DWORD kBackupFlags = FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT;
constexpr DWORD kShareAll = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

int64_t Ticks(const LARGE_INTEGER& t) { return t.QuadPart; }
LARGE_INTEGER Large(int64_t v) {
  LARGE_INTEGER l;
  l.QuadPart = v;
  return l;
}

std::string Shown(const fs::path& p) { return PathToUtf8(p); }

class Win32File : public FsFile {
 public:
  Win32File(HANDLE h, fs::path path) : h_(h), path_(std::move(path)) {}
  ~Win32File() override { (void)Close(); }

  core::Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) override {
    OVERLAPPED at{};
    at.Offset = static_cast<DWORD>(offset);
    at.OffsetHigh = static_cast<DWORD>(offset >> 32);
    DWORD n = 0;
    DWORD want = static_cast<DWORD>(std::min<size_t>(size, 1u << 30));
    if (!ReadFile(h_, buffer, want, &n, &at)) {
      DWORD code = GetLastError();
      if (code == ERROR_HANDLE_EOF) return size_t{0};
      return core::Fail(Win32Error("reading " + Shown(path_), code));
    }
    return static_cast<size_t>(n);
  }
  uint64_t Size() const override {
    LARGE_INTEGER size{};
    return GetFileSizeEx(h_, &size) ? static_cast<uint64_t>(size.QuadPart) : 0;
  }
  core::Status Write(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      DWORD n = 0;
      if (!WriteFile(h_, p, static_cast<DWORD>(std::min<size_t>(size, 1u << 30)), &n, nullptr))
        return core::Fail(Win32Error("writing " + Shown(path_)));
      p += n;
      size -= n;
    }
    return {};
  }
  core::Result<FileBasicInfo> GetBasicInfo() override {
    FILE_BASIC_INFO b{};
    if (!GetFileInformationByHandleEx(h_, ::FileBasicInfo, &b, sizeof b))
      return core::Fail(Win32Error("reading the times of " + Shown(path_)));
    return FileBasicInfo{Ticks(b.CreationTime), Ticks(b.LastAccessTime), Ticks(b.LastWriteTime),
                         Ticks(b.ChangeTime), b.FileAttributes};
  }
  core::Status SetBasicInfo(const FileBasicInfo& info) override {
    FILE_BASIC_INFO b{};
    b.CreationTime = Large(info.creation_time);
    b.LastAccessTime = Large(info.last_access_time);
    b.LastWriteTime = Large(info.last_write_time);
    b.ChangeTime = Large(info.change_time);
    b.FileAttributes = info.attributes;  // 0 leaves the attributes as they are
    if (!SetFileInformationByHandle(h_, ::FileBasicInfo, &b, sizeof b))
      return core::Fail(Win32Error("setting the times of " + Shown(path_)));
    return {};
  }
  core::Result<FileLinkInfo> GetLinkInfo() override {
    BY_HANDLE_FILE_INFORMATION b{};
    if (!GetFileInformationByHandle(h_, &b))
      return core::Fail(Win32Error("reading the file id of " + Shown(path_)));
    FileLinkInfo info{b.dwVolumeSerialNumber, 0,
                      (uint64_t{b.nFileIndexHigh} << 32) | b.nFileIndexLow, b.nNumberOfLinks};
    FILE_ID_INFO id{};  // 128-bit ids (ReFS); NTFS fills the low half the same way
    if (GetFileInformationByHandleEx(h_, FileIdInfo, &id, sizeof id)) {
      std::memcpy(&info.id_low, id.FileId.Identifier, 8);
      std::memcpy(&info.id_high, id.FileId.Identifier + 8, 8);
      info.volume = id.VolumeSerialNumber;
    }
    return info;
  }
  core::Status BackupWrite(const void* data, size_t size) override {
    const BYTE* p = static_cast<const BYTE*>(data);
    while (size > 0) {
      DWORD n = 0;
      DWORD chunk = static_cast<DWORD>(std::min<size_t>(size, 1u << 30));
      if (!::BackupWrite(h_, const_cast<BYTE*>(p), chunk, &n, FALSE, TRUE, &context_))
        return core::Fail(Win32Error("BackupWrite " + Shown(path_)));
      p += n;
      size -= n;
    }
    return {};
  }
  core::Status Close() override {
    if (h_ == INVALID_HANDLE_VALUE) return {};
    if (context_) {  // frees BackupWrite's context
      DWORD n = 0;
      ::BackupWrite(h_, nullptr, 0, &n, TRUE, FALSE, &context_);
      context_ = nullptr;
    }
    BOOL ok = CloseHandle(h_);
    h_ = INVALID_HANDLE_VALUE;
    if (!ok) return core::Fail(Win32Error("closing " + Shown(path_)));
    return {};
  }

 private:
  HANDLE h_;
  fs::path path_;
  void* context_ = nullptr;
};

// CreateFileW, retried without ACCESS_SYSTEM_SECURITY when SeSecurityPrivilege is not enabled.
HANDLE OpenForBackup(const fs::path& path, DWORD access, DWORD share, DWORD disposition) {
  std::wstring p = LongPath(path);
  HANDLE h = CreateFileW(p.c_str(), access, share, nullptr, disposition, kBackupFlags, nullptr);
  if (h == INVALID_HANDLE_VALUE && (access & ACCESS_SYSTEM_SECURITY) &&
      GetLastError() == ERROR_PRIVILEGE_NOT_HELD)
    h = CreateFileW(p.c_str(), access & ~ACCESS_SYSTEM_SECURITY, share, nullptr, disposition,
                    kBackupFlags, nullptr);
  return h;
}

constexpr DWORD kWriteAccess =
    GENERIC_READ | GENERIC_WRITE | WRITE_DAC | WRITE_OWNER | ACCESS_SYSTEM_SECURITY;

}  // namespace

core::Result<std::unique_ptr<FsFile>> Win32LayerFs::CreateNew(const fs::path& path, Kind kind) {
  if (kind == Kind::kDirectory) {
    KILN_TRY(MakeDirectory(path));
    HANDLE h = OpenForBackup(path, kWriteAccess, FILE_SHARE_READ, OPEN_EXISTING);
    if (h == INVALID_HANDLE_VALUE) return core::Fail(Win32Error("opening " + Shown(path)));
    return std::unique_ptr<FsFile>(std::make_unique<Win32File>(h, path));
  }
  HANDLE h = OpenForBackup(path, kWriteAccess, FILE_SHARE_READ, CREATE_NEW);
  if (h == INVALID_HANDLE_VALUE) return core::Fail(Win32Error("creating " + Shown(path)));
  return std::unique_ptr<FsFile>(std::make_unique<Win32File>(h, path));
}

core::Status Win32LayerFs::MakeDirectory(const fs::path& path) {
  if (!CreateDirectoryW(LongPath(path).c_str(), nullptr))
    return core::Fail(Win32Error("creating directory " + Shown(path)));
  return {};
}

core::Result<std::unique_ptr<FsFile>> Win32LayerFs::Open(const fs::path& path) {
  HANDLE h = OpenForBackup(path, GENERIC_READ | FILE_WRITE_ATTRIBUTES, kShareAll, OPEN_EXISTING);
  if (h == INVALID_HANDLE_VALUE) return core::Fail(Win32Error("opening " + Shown(path)));
  return std::unique_ptr<FsFile>(std::make_unique<Win32File>(h, path));
}

core::Result<std::optional<uint32_t>> Win32LayerFs::Attributes(const fs::path& path) {
  DWORD attrs = GetFileAttributesW(LongPath(path).c_str());
  if (attrs != INVALID_FILE_ATTRIBUTES) return std::optional<uint32_t>(attrs);
  DWORD code = GetLastError();
  if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND)
    return std::optional<uint32_t>();
  return core::Fail(Win32Error("reading the attributes of " + Shown(path), code));
}

core::Result<std::vector<DirEntry>> Win32LayerFs::List(const fs::path& dir) {
  std::vector<DirEntry> out;
  WIN32_FIND_DATAW data{};
  std::wstring pattern = LongPath(dir) + L"\\*";
  HANDLE find = FindFirstFileExW(pattern.c_str(), FindExInfoBasic, &data, FindExSearchNameMatch,
                                 nullptr, FIND_FIRST_EX_LARGE_FETCH);
  if (find == INVALID_HANDLE_VALUE) return core::Fail(Win32Error("listing " + Shown(dir)));
  do {
    std::wstring_view name = data.cFileName;
    if (name == L"." || name == L"..") continue;
    out.push_back({Narrow(name), data.dwFileAttributes,
                   (uint64_t{data.nFileSizeHigh} << 32) | data.nFileSizeLow});
  } while (FindNextFileW(find, &data));
  DWORD code = GetLastError();
  FindClose(find);
  if (code != ERROR_NO_MORE_FILES) return core::Fail(Win32Error("listing " + Shown(dir), code));
  return out;
}

core::Status Win32LayerFs::Remove(const fs::path& path) {
  HANDLE h = OpenForBackup(path, DELETE | FILE_READ_ATTRIBUTES | FILE_WRITE_ATTRIBUTES, kShareAll,
                           OPEN_EXISTING);
  if (h == INVALID_HANDLE_VALUE) return core::Fail(Win32Error("removing " + Shown(path)));
  FILE_BASIC_INFO b{};
  if (GetFileInformationByHandleEx(h, ::FileBasicInfo, &b, sizeof b) &&
      (b.FileAttributes & FILE_ATTRIBUTE_READONLY)) {
    b.FileAttributes &= ~FILE_ATTRIBUTE_READONLY;
    if (b.FileAttributes == 0) b.FileAttributes = FILE_ATTRIBUTE_NORMAL;
    SetFileInformationByHandle(h, ::FileBasicInfo, &b, sizeof b);
  }
  FILE_DISPOSITION_INFO dispose{TRUE};
  BOOL ok = SetFileInformationByHandle(h, FileDispositionInfo, &dispose, sizeof dispose);
  DWORD code = GetLastError();
  CloseHandle(h);
  if (!ok) return core::Fail(Win32Error("removing " + Shown(path), code));
  return {};
}

core::Status Win32LayerFs::RemoveTree(const fs::path& path) {
  KILN_ASSIGN(auto attrs, Attributes(path));
  if (!attrs) return {};
  if ((*attrs & FILE_ATTRIBUTE_DIRECTORY) && !(*attrs & FILE_ATTRIBUTE_REPARSE_POINT)) {
    KILN_ASSIGN(auto entries, List(path));
    for (const auto& e : entries) KILN_TRY(RemoveTree(path / PathFromUtf8(e.name)));
  }
  return Remove(path);  // a link is removed itself, never followed
}

core::Status Win32LayerFs::Rename(const fs::path& from, const fs::path& to) {
  if (!MoveFileExW(LongPath(from).c_str(), LongPath(to).c_str(), 0))
    return core::Fail(Win32Error("renaming " + Shown(from) + " to " + Shown(to)));
  return {};
}

core::Status Win32LayerFs::HardLink(const fs::path& target, const fs::path& link) {
  if (!CreateHardLinkW(LongPath(link).c_str(), LongPath(target).c_str(), nullptr))
    return core::Fail(Win32Error("linking " + Shown(link) + " to " + Shown(target)));
  return {};
}

}  // namespace kiln::layers::windows

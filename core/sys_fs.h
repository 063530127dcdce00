// The host file-system calls kiln makes, behind one neutral interface: POSIX-shaped (an int
// descriptor, -1 and errno on failure, so callers keep their error handling), with UTF-8 paths
// ('/' separators work on both hosts). core/sys_fs_posix.cc passes straight through to POSIX;
// core/windows/sys_fs_win.cc implements the same calls with Win32 (UTF-16 only at that edge,
// `\\?\` long paths, LockFileEx, MoveFileExW, CreateHardLinkW) and maps Win32 errors to errno.
// Host-specific details (xattrs, devices, ownership) stay in the *_posix.cc / *_win.cc files
// that need them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::sys {

enum class Kind : uint8_t { kNone, kRegular, kDirectory, kSymlink, kCharDevice, kBlockDevice,
                            kFifo, kSocket };

// POSIX st_mode type bits (the same numbers on every host; Windows gets them synthesised).
inline constexpr uint32_t kModeTypeMask = 0170000;
inline constexpr uint32_t kModeRegular = 0100000;
inline constexpr uint32_t kModeDirectory = 0040000;
inline constexpr uint32_t kModeSymlink = 0120000;

struct FileStat {
  Kind kind = Kind::kNone;
  uint32_t mode = 0;  // st_mode: type bits and permissions (Windows: 0644/0755, 0444 read-only)
  uint64_t size = 0;
  int64_t mtime_sec = 0;
  uint32_t mtime_nsec = 0;
  int64_t ctime_ns = 0;  // status change (Windows: ChangeTime)
  uint64_t dev = 0;      // Windows: volume serial number
  uint64_t ino = 0;      // Windows: file index
  uint64_t nlink = 1;
  uint32_t uid = 0, gid = 0;  // Windows: 0
  uint32_t rdev_major = 0, rdev_minor = 0;

  bool IsDir() const { return kind == Kind::kDirectory; }
  bool IsRegular() const { return kind == Kind::kRegular; }
  bool IsSymlink() const { return kind == Kind::kSymlink; }
  uint32_t Permissions() const { return mode & 07777; }
};

// Open flags (kiln's own bits; the close-on-exec flag is always set).
inline constexpr int kRead = 0;
inline constexpr int kWrite = 1;
inline constexpr int kReadWrite = 2;
inline constexpr int kCreate = 4;
inline constexpr int kTruncate = 8;
inline constexpr int kExclusive = 16;
inline constexpr int kNoFollow = 32;   // fails (ELOOP) on a symlink
inline constexpr int kNonBlock = 64;   // a FIFO does not block the open
inline constexpr int kDirectory = 128;  // fails (ENOTDIR) unless a directory

// Each returns -1 and sets errno on failure, as its POSIX namesake.
int Open(const std::string& path, int flags, uint32_t mode = 0644);
int64_t Read(int fd, void* buffer, size_t size);  // EINTR retried
int64_t Write(int fd, const void* data, size_t size);  // may write less; EINTR retried
int WriteAll(int fd, const void* data, size_t size);  // 0 when every byte was written
int Close(int fd);
int Fsync(int fd);
int Seek(int fd, uint64_t offset);  // from the start
int Fstat(int fd, FileStat* st);
int Stat(const std::string& path, FileStat* st);   // follows symlinks
int Lstat(const std::string& path, FileStat* st);  // does not
int ReadLink(const std::string& path, std::string* target);
// The names in a directory, "." and ".." left out, in the order the host returns them.
int ListDir(const std::string& path, std::vector<std::string>* names);
// The same with each entry's kind where the listing tells it without a stat (kNone: unknown;
// symlinks are kSymlink, not followed).
struct DirEntry {
  std::string name;
  Kind kind = Kind::kNone;
};
int ListDirKinds(const std::string& path, std::vector<DirEntry>* entries);
int MakeDir(const std::string& path, uint32_t mode);  // EEXIST when it exists
int Chmod(const std::string& path, uint32_t mode);    // Windows: no-op (ACLs rule there)
int Fchmod(int fd, uint32_t mode);                    // Windows: no-op
int Rename(const std::string& from, const std::string& to);  // replaces `to`
int Unlink(const std::string& path);
int HardLink(const std::string& existing, const std::string& path);

enum class LockMode { kShared, kExclusive };
// flock(2): waits unless `nonblocking` (then EWOULDBLOCK when held elsewhere). Windows: a
// LockFileEx on one byte far past the data (reads and writes are never blocked); directories
// cannot be locked there (EOPNOTSUPP).
int Lock(int fd, LockMode mode, bool nonblocking);

// mkstemp(3) / mkdtemp(3): the template ends in XXXXXX, rewritten to the name made.
int MakeTempFile(std::string& path_template);  // returns the descriptor
int MakeTempDir(std::string& path_template);   // returns 0
// fsync of a directory after a rename into it (Windows: no-op; NTFS journals metadata).
int SyncDir(const std::string& path);
// A copy-on-write clone of `in` into `out` (FICLONE); -1 (EOPNOTSUPP) where the host has none.
int CloneFile(int in, int out);

// posix_fadvise(SEQUENTIAL) over the whole file (Windows: nothing).
void AdviseSequential(int fd);

uint32_t ProcessId();
uint32_t EffectiveUid();  // Windows: 0 (stores are private through their ACLs)
// strerror(3) of an errno value.
std::string ErrorText(int errnum);

// fnmatch(3) with no flags, bytewise (the C locale): '*', '?', bracket expressions with '!' or
// '^', ranges and [:class:], backslash escapes. Windows: kiln's own implementation of the same.
bool FnMatch(const std::string& pattern, const std::string& name);
// realpath(3): the absolute path with every symlink resolved (Windows: the final path of the
// opened file, '/' separators, no `\\?\`).
int RealPath(const std::string& path, std::string* resolved);

// fopen(3) of a UTF-8 path (Windows: _wfopen).
std::FILE* FOpen(const std::string& path, const char* mode);

// A std::filesystem::path (and so std::fstream) from a UTF-8 string, and back. The plain
// std::string constructor and .string() use the ANSI code page on Windows (mingw), which mangles
// every non-ASCII name; through char8_t the bytes are UTF-8 on every host (identity on POSIX).
inline std::filesystem::path U8Path(std::string_view utf8) {
  return std::filesystem::path(
      std::u8string_view(reinterpret_cast<const char8_t*>(utf8.data()), utf8.size()));
}
inline std::string PathString(const std::filesystem::path& path) {
  std::u8string u = path.u8string();
  return std::string(u.begin(), u.end());
}
// The same with '/' separators (Windows; the same string on POSIX).
inline std::string GenericPathString(const std::filesystem::path& path) {
  std::u8string u = path.generic_u8string();
  return std::string(u.begin(), u.end());
}

}  // namespace kiln::sys

#include "layers/linux/overlay_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kiln::layers {
namespace {

namespace fs = std::filesystem;

core::Status MakeLinks(const std::string& base_dir, const std::vector<std::string>& lowers) {
  std::error_code ec;
  fs::path links = fs::path(base_dir) / "l";
  fs::remove_all(links, ec);
  fs::create_directory(links, ec);
  if (ec)
    return core::Fail(core::ErrorCode::kIo,
                      "cannot create " + links.string() + ": " + ec.message());
  for (size_t i = 0; i < lowers.size(); ++i) {
    fs::create_directory_symlink(lowers[i], links / std::to_string(i), ec);
    if (ec) return core::Fail(core::ErrorCode::kIo, "cannot link lower layer: " + ec.message());
  }
  return {};
}

// Mounts from a child process whose working directory is base_dir, so the relative paths in
// the options resolve there without changing the cwd of this (multi-threaded) process.
core::Status MountFromDir(const std::string& base_dir, const std::string& options,
                          const std::string& target) {
  pid_t pid = ::fork();
  if (pid < 0)
    return core::Fail(core::ErrorCode::kIo, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    if (::chdir(base_dir.c_str()) != 0) ::_exit(errno);
    if (::mount("overlay", target.c_str(), "overlay", 0, options.c_str()) != 0) ::_exit(errno);
    ::_exit(0);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int err = WIFEXITED(status) ? WEXITSTATUS(status) : EIO;
  if (err == 0) return {};
  return core::Fail(core::ErrorCode::kIo, "cannot mount overlay at " + target + ": " +
                                              std::strerror(err) + " (see dmesg)");
}

// mountinfo writes space, tab, newline and backslash as \ooo octal escapes.
std::string DecodeMountinfo(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    bool octal = i + 3 < field.size() && field.find_first_not_of("01234567", i + 1) >= i + 4;
    if (field[i] == '\\' && octal) {
      out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                               (field[i + 3] - '0'));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

}  // namespace

std::string OverlayOptions(size_t lower_count, const std::string& upper, const std::string& work,
                           bool volatile_upper) {
  std::string opts = "lowerdir=";
  for (size_t i = 0; i < lower_count; ++i) {
    if (i) opts += ':';
    opts += "l/" + std::to_string(i);
  }
  if (!upper.empty()) opts += ",upperdir=" + upper + ",workdir=" + work;
  opts += ",index=off,redirect_dir=off,metacopy=off,xino=off";
  if (!upper.empty() && volatile_upper) opts += ",volatile";
  return opts;
}

core::Status MountOverlay(const std::string& base_dir, const std::vector<std::string>& lowers,
                          const std::string& upper, const std::string& work,
                          const std::string& target) {
  if (lowers.size() > kMaxOverlayLowers)
    return core::Fail(core::ErrorCode::kUnsupported,
                      "overlayfs takes at most " + std::to_string(kMaxOverlayLowers) +
                          " layers; this image has " + std::to_string(lowers.size()));
  KILN_TRY(MakeLinks(base_dir, lowers));
  // "volatile" (Linux 5.10+) skips syncing the upper dir on unmount: it is thrown away after the
  // diff anyway, and a crash leaves it to the sweep. Older kernels refuse the option.
  auto mounted = MountFromDir(base_dir, OverlayOptions(lowers.size(), upper, work, true), target);
  if (mounted || upper.empty()) return mounted;
  return MountFromDir(base_dir, OverlayOptions(lowers.size(), upper, work, false), target);
}

core::Status Unmount(const std::string& target) {
  int err = 0;
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (::umount2(target.c_str(), UMOUNT_NOFOLLOW) == 0) return {};
    err = errno;
    if (err == EINVAL || err == ENOENT) return {};  // not mounted (any more)
    if (err != EBUSY) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10 * (attempt + 1)));
  }
  if (err == EBUSY && ::umount2(target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) == 0) return {};
  if (err == EBUSY) err = errno;
  return core::Fail(core::ErrorCode::kIo, "cannot unmount " + target + ": " + std::strerror(err));
}

bool IsMountPoint(const std::string& path) {
  std::ifstream info("/proc/self/mountinfo");
  std::string line;
  while (std::getline(info, line)) {
    std::istringstream fields(line);
    std::string id, parent, devs, root, mount_point;
    fields >> id >> parent >> devs >> root >> mount_point;
    if (DecodeMountinfo(mount_point) == path) return true;
  }
  return false;
}

bool OverlaySupported() {
  std::ifstream filesystems("/proc/filesystems");
  std::string line;
  while (std::getline(filesystems, line))
    if (line.size() >= 7 && line.compare(line.size() - 7, 7, "overlay") == 0) return true;
  return false;
}

}  // namespace kiln::layers

#include "builder/linux/step_mounts.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "layers/fs_util.h"
#include "layers/linux/in_root.h"
#include "layers/linux/overlay_mount.h"
#include "layers/linux/remove_tree.h"
#include "layers/linux/unique_fd.h"

namespace kiln::builder {
namespace {

namespace fs = std::filesystem;

bool Under(const std::string& path, const std::string& dir) {
  if (dir == "/") return true;
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

core::Status WriteHostsFile(const std::string& path, const std::string& hostname) {
  auto failed = [&path](int err) {
    return core::Fail(core::ErrorCode::kIo, "cannot write " + path + ": " + std::strerror(err));
  };
  FILE* f = std::fopen(path.c_str(), "we");
  if (!f) return failed(errno);
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  if (!hostname.empty()) text += "127.0.1.1\t" + hostname + "\n";
  int err = 0;
  if (std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fflush(f) != 0) err = errno;
  if (std::fclose(f) != 0 && err == 0) err = errno;
  if (err != 0) return failed(err);
  return {};
}

}  // namespace

std::string AbsoluteTarget(const std::string& working_dir, const std::string& target) {
  bool absolute = !target.empty() && target[0] == '/';
  std::string joined = absolute ? target : working_dir + "/" + target;
  std::vector<std::string> parts;
  for (auto& part : layers::SplitPath(joined)) {
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (part != ".") {
      parts.push_back(std::move(part));
    }
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

StepMounts::StepMounts(int root_fd, std::string bundle_dir)
    : root_fd_(root_fd), bundle_dir_(std::move(bundle_dir)), placeholders_(root_fd) {}

core::Status StepMounts::AddPlaceholder(const std::vector<OciMount>& before, const OciMount& mount,
                                        bool file) {
  // Inside an earlier mount runc creates the target in that mount, not in the root.
  for (const auto& m : before)
    if (Under(mount.destination, m.destination)) return {};
  return placeholders_.Ensure(mount.destination, file);
}

core::Result<std::vector<OciMount>> StepMounts::Prepare(const RunSpec& spec) {
  std::vector<OciMount> mounts = StandardMounts();
  for (const char* dir : {"/proc", "/dev", "/sys"}) KILN_TRY(placeholders_.Ensure(dir, false));

  std::string hosts = bundle_dir_ + "/hosts";
  KILN_TRY(WriteHostsFile(hosts, spec.hostname));
  std::vector<std::pair<OciMount, bool>> extra;  // mount, target is a file
  extra.push_back({{"/etc/hosts", "bind", hosts, {"rbind", "ro", "nosuid", "nodev"}}, true});
  if (spec.network_host && ::access("/etc/resolv.conf", R_OK) == 0)
    extra.push_back({{"/etc/resolv.conf", "bind", "/etc/resolv.conf", {"rbind", "ro"}}, true});
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const RunMount& m = spec.mounts[i];
    if (m.type == RunMount::Type::kSecret && m.target.empty() && !m.env.empty())
      continue;  // an environment variable only (SecretEnv), as BuildKit does
    if (m.target.empty())
      return core::Fail(core::ErrorCode::kInvalidInput, "RUN --mount needs a target");
    std::string target = AbsoluteTarget(spec.working_dir, m.target);
    if (target == "/")
      return core::Fail(core::ErrorCode::kInvalidInput, "RUN --mount cannot replace /");
    KILN_ASSIGN(OciMount mount, UserMount(m, target, i));
    struct stat st {};
    bool file = m.type != RunMount::Type::kTmpfs && ::stat(mount.source.c_str(), &st) == 0 &&
                !S_ISDIR(st.st_mode);
    extra.push_back({std::move(mount), file});
  }
  for (auto& [mount, file] : extra) {
    KILN_TRY(AddPlaceholder(mounts, mount, file));
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

core::Result<OciMount> StepMounts::UserMount(const RunMount& m, const std::string& target,
                                             size_t n) {
  using Type = RunMount::Type;
  if (m.type == Type::kTmpfs) {
    std::vector<std::string> options = {"nosuid", "nodev", "mode=1777"};
    if (m.size_bytes) options.push_back("size=" + std::to_string(m.size_bytes));
    return OciMount{target, "tmpfs", "tmpfs", options};
  }
  struct stat st {};
  bool from_data = m.type == Type::kSecret && m.source.empty();
  if (!from_data && (m.source.empty() || ::stat(m.source.c_str(), &st) != 0))
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "RUN --mount source for " + target + " does not exist: " + m.source);
  std::string source = m.source;
  std::vector<std::string> options = {"rbind"};
  if (m.type == Type::kSecret) {
    KILN_ASSIGN(source, SecretCopy(m, n));
    options.insert(options.end(), {"ro", "nosuid", "nodev", "noexec"});
  } else if (m.type == Type::kBind && !m.hidden.empty()) {
    KILN_ASSIGN(source, FilteredView(m, n));
    options.push_back(m.read_only ? "ro" : "rw");
  } else if (m.type == Type::kCache || !m.read_only) {
    // A writable bind must not change its source (the build context or another stage): the
    // step writes into a throw-away overlay on top of it. Cache mounts are meant to persist.
    if (m.type == Type::kBind) {
      KILN_ASSIGN(source, WritableCopy(source, n));
    }
    options.push_back("rw");
  } else {
    options.push_back("ro");
  }
  return OciMount{target, "bind", source, options};
}

core::Result<std::string> StepMounts::FilteredView(const RunMount& m, size_t n) {
  // "rw<n>/merged" like WritableCopy: the stale sweep (RuncExecutor::RemoveBundle) unmounts it.
  std::string base = bundle_dir_ + "/rw" + std::to_string(n);
  std::string mask = base + "/mask";
  for (const std::string& dir : {base, mask, base + "/merged", base + "/upper", base + "/work"})
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return core::Fail(core::ErrorCode::kIo, "cannot create " + dir + ": " + std::strerror(errno));
  // The mask's directories stand above the source's in the overlay, which then shows their
  // mode, owner and times: they copy the source's (times last, after their entries exist).
  std::vector<std::string> dirs{""};
  for (const auto& rel : m.hidden) {
    for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
      std::string parent = rel.substr(0, slash);
      if (::mkdir((mask + "/" + parent).c_str(), 0700) == 0) dirs.push_back(parent);
      else if (errno != EEXIST)
        return core::Fail(core::ErrorCode::kIo, "cannot create " + mask + "/" + parent + ": " +
                                                    std::strerror(errno));
    }
    // A 0/0 character device is overlayfs's whiteout: the entry below it does not exist.
    std::string path = mask + "/" + rel;
    if (::mknod(path.c_str(), S_IFCHR | 0600, makedev(0, 0)) != 0)
      return core::Fail(core::ErrorCode::kIo, "cannot create whiteout " + path + ": " +
                                                  std::strerror(errno));
  }
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    std::string from = m.source + (it->empty() ? "" : "/" + *it);
    std::string to = mask + (it->empty() ? "" : "/" + *it);
    struct stat st {};
    if (::lstat(from.c_str(), &st) != 0 || ::lchown(to.c_str(), st.st_uid, st.st_gid) != 0 ||
        ::chmod(to.c_str(), st.st_mode & 07777) != 0) {
      return core::Fail(core::ErrorCode::kIo, "cannot copy the owner and mode of " + from + ": " +
                                                  std::strerror(errno));
    }
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(AT_FDCWD, to.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
      return core::Fail(core::ErrorCode::kIo, "cannot set the times of " + to + ": " +
                                                  std::strerror(errno));
  }
  std::string merged = base + "/merged";
  if (m.read_only)
    KILN_TRY(layers::MountOverlay(base, {mask, m.source}, "", "", merged));
  else
    KILN_TRY(layers::MountOverlay(base, {mask, m.source}, "upper", "work", merged));
  overlays_.push_back(merged);
  return merged;
}

core::Result<std::string> StepMounts::WritableCopy(const std::string& source, size_t n) {
  std::error_code ec;
  std::string base = bundle_dir_ + "/rw" + std::to_string(n);
  fs::create_directories(base + "/upper", ec);
  fs::create_directories(base + "/work", ec);
  fs::create_directories(base + "/merged", ec);
  if (ec) return core::Fail(core::ErrorCode::kIo, "cannot create " + base + ": " + ec.message());
  if (!fs::is_directory(source)) {
    fs::copy_file(source, base + "/file", ec);
    if (ec) return core::Fail(core::ErrorCode::kIo, "cannot copy " + source + ": " + ec.message());
    return base + "/file";
  }
  std::string merged = base + "/merged";
  KILN_TRY(layers::MountOverlay(base, {fs::absolute(source).string()}, "upper", "work", merged));
  overlays_.push_back(merged);
  return merged;
}

core::Result<std::string> StepMounts::SecretsDir() {
  std::string dir = bundle_dir_ + "/" + std::string(kSecretsDir);
  if (!secrets_mounted_) {
    // A private tmpfs: the secret's bytes never reach a disk, and it is gone with the unmount.
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return core::Fail(core::ErrorCode::kIo, "cannot create " + dir + ": " + std::strerror(errno));
    if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                "mode=0700,size=64m") != 0)
      return core::Fail(core::ErrorCode::kIo,
                        "cannot mount a tmpfs for secrets at " + dir + ": " + std::strerror(errno));
    secrets_mounted_ = true;
  }
  return dir;
}

core::Result<std::vector<std::string>> StepMounts::SecretEnv(const RunSpec& spec) {
  std::vector<std::string> env;
  for (const auto& m : spec.mounts) {
    if (m.type != RunMount::Type::kSecret || m.env.empty()) continue;
    std::string bytes = m.data;
    if (!m.source.empty()) {
      auto read = layers::ReadFileToString(m.source, 1 << 20);
      if (!read)
        return core::Fail(core::ErrorCode::kInvalidInput,
                          "cannot read secret file " + m.source + ": " + read.error().message);
      bytes = std::move(*read);
    }
    if (bytes.find('\0') != std::string::npos)
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "secret for environment variable " + m.env +
                            " holds a NUL byte and cannot be an environment variable");
    std::string entry = m.env + "=" + bytes;
    // Linux takes no single environment string of MAX_ARG_STRLEN (32 pages) or more.
    if (entry.size() >= 32 * 4096)
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "secret for environment variable " + m.env + " is too large for the " +
                            "environment (" + std::to_string(bytes.size()) +
                            " bytes; Linux allows 131071 per variable): mount it as a file");
    env.push_back(std::move(entry));
  }
  return env;
}

core::Result<std::string> StepMounts::SecretCopy(const RunMount& m, size_t n) {
  KILN_ASSIGN(std::string dir, SecretsDir());
  std::string path = dir + "/" + std::to_string(n);
  layers::UniqueFd in;
  if (!m.source.empty()) {
    in = layers::UniqueFd(::open(m.source.c_str(), O_RDONLY | O_CLOEXEC));
    if (!in.valid())
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "cannot read secret file " + m.source + ": " + std::strerror(errno));
  }
  mode_t mode = m.mode ? m.mode & 07777 : 0400;
  layers::UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!out.valid())
    return core::Fail(core::ErrorCode::kIo, "cannot create " + path + ": " + std::strerror(errno));
  auto put = [&](const char* bytes, size_t size) -> core::Status {
    for (size_t done = 0; done < size;) {
      ssize_t w = ::write(out.get(), bytes + done, size - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0)
        return core::Fail(core::ErrorCode::kIo,
                          "cannot write " + path + ": " + std::strerror(errno));
      done += static_cast<size_t>(w);
    }
    return {};
  };
  KILN_TRY(put(m.data.data(), m.data.size()));
  char buffer[65536];
  while (in.valid()) {
    ssize_t got = ::read(in.get(), buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0)
      return core::Fail(core::ErrorCode::kIo,
                        "cannot read " + m.source + ": " + std::strerror(errno));
    if (got == 0) break;
    KILN_TRY(put(buffer, static_cast<size_t>(got)));
  }
  if (::fchown(out.get(), m.uid, m.gid) != 0 || ::fchmod(out.get(), mode) != 0)
    return core::Fail(core::ErrorCode::kIo, "cannot set the owner and mode of secret " + path +
                                                ": " + std::strerror(errno));
  return path;
}

core::Status StepMounts::Release() {
  core::Status status = placeholders_.Remove();
  if (secrets_mounted_) {
    if (auto s = layers::Unmount(bundle_dir_ + "/" + std::string(kSecretsDir)); !s && status)
      status = s;
    else if (s)
      secrets_mounted_ = false;
  }
  for (const auto& merged : overlays_)
    if (auto s = layers::Unmount(merged); !s && status) status = s;
  overlays_.clear();
  return status;
}

}  // namespace kiln::builder

// The mounts of one RUN step under runc: the standard ones (/proc, /dev, /sys), /etc/hosts (and
// the host's /etc/resolv.conf with host networking), and the step's RUN --mount list. Creates
// what they need outside the container (mount targets in the root, an overlay that keeps a
// writable bind mount from changing its source) and undoes it all in Release.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "builder/executor.h"
#include "builder/linux/mount_placeholders.h"
#include "builder/linux/runc_bundle.h"
#include "core/error.h"

namespace kiln::builder {

class StepMounts {
 public:
  // `root_fd`: the step's root; `bundle_dir`: the step's private scratch directory.
  StepMounts(int root_fd, std::string bundle_dir);
  ~StepMounts() { (void)Release(); }
  StepMounts(const StepMounts&) = delete;
  StepMounts& operator=(const StepMounts&) = delete;

  // Builds the OCI mount list for `spec` and prepares the host side. Fails with kInvalidInput
  // for a mount without a target or with a missing source, kIo for host failures.
  core::Result<std::vector<OciMount>> Prepare(const RunSpec& spec);
  // Removes the mount targets it created and unmounts its overlays; safe to call twice.
  core::Status Release();

  // The "NAME=bytes" environment entries of the step's secrets given with env=, read from the
  // secret's file or data. Fails with kInvalidInput for a secret holding a NUL byte (it cannot
  // be an environment variable), kIo when the file cannot be read.
  core::Result<std::vector<std::string>> SecretEnv(const RunSpec& spec);
  // The private tmpfs of the step's secrets (mounted on first use): where a file holding secret
  // bytes, such as a runtime config with secret environment variables, may be written.
  core::Result<std::string> SecretsDir();

 private:
  core::Result<OciMount> UserMount(const RunMount& mount, const std::string& target, size_t n);
  core::Result<std::string> WritableCopy(const std::string& source, size_t n);
  // A view of directory `mount.source` without `mount.hidden` (.dockerignore): an overlay whose
  // top layer holds a whiteout per hidden path, writable (throw-away upper) unless read-only.
  core::Result<std::string> FilteredView(const RunMount& mount, size_t n);
  // A copy of the secret file on a private tmpfs in the bundle, with the mount's mode (default
  // 0400) and uid/gid: the step sees exactly those, the host file is never exposed.
  core::Result<std::string> SecretCopy(const RunMount& mount, size_t n);
  core::Status AddPlaceholder(const std::vector<OciMount>& before, const OciMount& mount,
                              bool file);

  int root_fd_;
  std::string bundle_dir_;
  MountPlaceholders placeholders_;
  std::vector<std::string> overlays_;  // mount points of writable bind overlays
  bool secrets_mounted_ = false;
};

// The bundle's subdirectory holding secret copies (a tmpfs while the step runs).
inline constexpr std::string_view kSecretsDir = "secrets";

// The absolute path a mount target means in a step working in `working_dir` ("cache" with
// WORKDIR /src is /src/cache); "." and ".." are resolved lexically, never above "/".
std::string AbsoluteTarget(const std::string& working_dir, const std::string& target);

}  // namespace kiln::builder

// The OCI runtime bundle config (config.json) runc runs a RUN step from: process, user, mounts,
// namespaces (no network unless asked), capabilities and the masked /proc paths docker uses.
#pragma once

#include <string>
#include <vector>

#include "builder/linux/user_lookup.h"
#include "core/error.h"

namespace kiln::builder {

struct OciMount {
  std::string destination, type, source;
  std::vector<std::string> options;
};

struct BundleConfig {
  std::string rootfs;  // absolute path of the step's root
  std::vector<std::string> argv, env;
  std::string cwd = "/";
  ResolvedUser user;
  std::string hostname;
  bool network_host = false;     // share the host's network namespace instead of a new one
  std::vector<OciMount> mounts;  // every mount, in order (StandardMounts() first)
};

// /proc, /dev (tmpfs), /dev/pts, /dev/shm, /dev/mqueue and /sys (read-only).
std::vector<OciMount> StandardMounts();

// config.json for runc (terminal off, stdio passed through); fails on argv/env that is not
// UTF-8.
core::Result<std::string> RuntimeConfigJson(const BundleConfig& config);

}  // namespace kiln::builder

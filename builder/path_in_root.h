// Resolution of a path inside a directory tree on the host with the tree's root standing for "/":
// the rule BuildKit applies to the build context, and kiln to every path a Dockerfile names in a
// source tree (the context, a named context directory, a flattened stage) for COPY, ADD and
// RUN --mount=type=bind. A symlink is evaluated where it lies: "up -> ../.." and "root -> /"
// lead to the tree's root, an absolute target starts again at the root, ".." stops there.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/sys_fs.h"

namespace kiln::builder {

// The most symlinks one resolution follows before it fails (Linux's MAXSYMLINKS).
inline constexpr int kMaxSymlinkHops = 40;

struct PathInRoot {
  std::string rel;    // '/'-separated from the root, no "." / ".." / symlink in it; "" = the root
  sys::FileStat st;   // lstat of root/rel (a symlink only when the last one was not followed)
};

// Whether an entry the walk reaches must be treated as absent (.dockerignore): `rel` is the
// entry's resolved path, `is_dir` says whether it is a directory.
using HiddenPath = std::function<bool(std::string_view rel, bool is_dir)>;

// Resolves `path` ('/'-separated, relative to `root` whether or not it starts with '/') one
// component at a time with lstat/readlink, so no symlink is ever followed by the kernel: every
// prefix of the result is a real directory below `root`. The last component is followed when
// it is a symlink only if `follow_last`. Each entry reached, through whatever links, is checked
// with `hidden`. Fails with kNotFound (missing, hidden, or a non-directory in the middle),
// kInvalidInput after kMaxSymlinkHops links ("too many levels of symbolic links"), kIo else.
// Assumes nobody changes the tree while kiln reads it (a context is a checkout, not a live
// adversary); the result is a path, not an open descriptor.
core::Result<PathInRoot> ResolveInRoot(const std::string& root, std::string_view path,
                                       bool follow_last, const HiddenPath& hidden = {});

}  // namespace kiln::builder

// Path resolution confined to a directory tree (openat2 RESOLVE_IN_ROOT / RESOLVE_BENEATH), for
// touching a container root or an unpacked layer from the host without following its symlinks
// out of it (an image's /etc may be a symlink to /).
#pragma once

#include <sys/stat.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layers/linux/unique_fd.h"

namespace kiln::layers {

// Opens `path` (absolute or relative, '/'-separated) inside the tree at `root_fd`: symlinks are
// resolved as if `root_fd` were "/" (RESOLVE_IN_ROOT), magic links are refused. kNotFound when it
// does not exist; kIo for other failures.
core::Result<UniqueFd> OpenInRoot(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// Like OpenInRoot but no symlink may be crossed at all and ".." may not leave the tree
// (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS): the view overlayfs has of a layer directory.
core::Result<UniqueFd> OpenBeneath(int root_fd, std::string_view path, int flags);

// Opens a directory (O_RDONLY | O_DIRECTORY) on the host.
core::Result<UniqueFd> OpenDir(const std::string& path);

// The non-empty components of a '/'-separated path ("/a//b/" gives a, b); "." and ".." are
// kept for the caller to judge.
std::vector<std::string> SplitPath(std::string_view path);

// Splits "a/b/c" into parent "a/b" and name "c" (parent "" for a top-level name); leading and
// trailing slashes and empty components are dropped.
std::pair<std::string, std::string> SplitParent(std::string_view path);

// Creates the directory `path` and its missing parents inside the root (symlinks resolved in
// the root); existing directories are fine. kInvalidInput when a component is not a directory.
core::Status MkdirAllInRoot(int root_fd, std::string_view path, mode_t mode);

// The names in the directory open at `dir_fd` (without "." and ".."), in readdir order. Reads
// from the start whatever position `dir_fd` has, and leaves that position undefined.
core::Result<std::vector<std::string>> ListDir(int dir_fd);

// Reads a small regular file inside the root (at most `limit` bytes); kNotFound when missing.
core::Result<std::string> ReadFileInRoot(int root_fd, std::string_view path, size_t limit);

}  // namespace kiln::layers

// Mounting and unmounting overlayfs for the Linux snapshotter (and the executor's writable bind
// mounts). The upper dir must stay a plain diff, so redirect_dir, metacopy, index and xino are
// off; it is "volatile" (not synced on unmount) where the kernel allows. Lower paths reach the
// kernel through short relative symlinks (base_dir/l/N) because the whole option string must fit
// in one page: "l/NNN:" is 6 bytes, so overlayfs's own limit of 500 lower layers fits, where 500
// absolute store paths would not.
#pragma once

#include <string>
#include <vector>

#include "core/error.h"

namespace kiln::layers {

// The most lower layers one overlay mount takes (the kernel's OVL_MAX_STACK).
inline constexpr size_t kMaxOverlayLowers = 500;

// The mount options MountOverlay uses for `lower_count` lowers (for tests and messages);
// `volatile_upper` adds "volatile" to a writable overlay.
std::string OverlayOptions(size_t lower_count, const std::string& upper, const std::string& work,
                           bool volatile_upper);

// Mounts an overlay at `target`. `lowers` are absolute paths, topmost first (overlayfs order);
// `upper` and `work` are paths relative to `base_dir` (empty both: a read-only overlay, which
// needs two lowers or more). Creates base_dir/l/N symlinks. Fails with kUnsupported past
// kMaxOverlayLowers, kIo when the kernel refuses (the message has errno; dmesg has details).
core::Status MountOverlay(const std::string& base_dir, const std::vector<std::string>& lowers,
                          const std::string& upper, const std::string& work,
                          const std::string& target);

// Unmounts `target`; retries while busy, then detaches it lazily. Not mounted counts as success.
core::Status Unmount(const std::string& target);

// Whether `path` is a mount point (its device differs from its parent's, or mountinfo says so).
bool IsMountPoint(const std::string& path);

// Whether the kernel knows overlayfs (/proc/filesystems).
bool OverlaySupported();

}  // namespace kiln::layers

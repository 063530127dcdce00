// A minimal Linux root file system for RUN tests: Debian's static busybox with its applets as
// symlinks in /bin, plus /etc/passwd and /etc/group with a few users and groups.
#pragma once

#include <filesystem>

namespace kiln::testing {

// Fills `dir` (created if missing) with bin/busybox and bin/<applet> symlinks, etc/passwd
// (root 0, app 1000:1000 home /home/app, nobody 65534) and etc/group (root, app, staff 50 with
// member app, nogroup). Without `with_etc`, no etc/ at all.
void MakeBusyboxRootfs(const std::filesystem::path& dir, bool with_etc = true);

// The static busybox binary used ($KILN_BUSYBOX or /bin/busybox from busybox-static).
std::filesystem::path BusyboxBinary();

}  // namespace kiln::testing

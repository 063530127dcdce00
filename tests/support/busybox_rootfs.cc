#include "tests/support/busybox_rootfs.h"

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "tests/support/test_env.h"

namespace kiln::testing {

std::filesystem::path BusyboxBinary() {
  if (const char* b = std::getenv("KILN_BUSYBOX"); b && *b) return b;
  return "/bin/busybox";
}

void MakeBusyboxRootfs(const std::filesystem::path& dir, bool with_etc) {
  namespace fs = std::filesystem;
  fs::create_directories(dir / "bin");
  fs::copy_file(BusyboxBinary(), dir / "bin/busybox", fs::copy_options::overwrite_existing);
  auto list = Run({BusyboxBinary().string(), "--list"});
  if (list.exit_code != 0) throw std::runtime_error("busybox --list failed: " + list.err);
  std::istringstream applets(list.out);
  std::string applet;
  while (std::getline(applets, applet))
    if (!applet.empty() && applet != "busybox" && !fs::exists(dir / "bin" / applet))
      fs::create_symlink("busybox", dir / "bin" / applet);
  if (!with_etc) return;
  WriteFile(dir / "etc/passwd",
            "root:x:0:0:root:/root:/bin/sh\n"
            "app:x:1000:1000:app user:/home/app:/bin/sh\n"
            "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
  WriteFile(dir / "etc/group",
            "root:x:0:\n"
            "staff:x:50:app\n"
            "app:x:1000:\n"
            "nogroup:x:65534:\n");
}

}  // namespace kiln::testing

#include "layers/linux/layer_unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/digest.h"
#include "layers/fs_util.h"
#include "tests/support/test_env.h"

using kiln::core::Digest;
using kiln::core::ErrorCode;
using kiln::layers::FdReader;
using kiln::layers::UnpackLayer;
using kiln::testing::ReadFile;
using kiln::testing::Shell;
using kiln::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Writes layer.tar with python's tarfile (an independent writer): `body` adds members to `t`
// with the helper add(name, type, **fields). Returns the tar's sha256 (its diff_id).
Digest PythonTar(const fs::path& dir, const std::string& body) {
  std::string script =
      "import io, tarfile\n"
      "t = tarfile.open('layer.tar', 'w', format=tarfile.PAX_FORMAT)\n"
      "def add(name, type=tarfile.REGTYPE, data=b'', **kw):\n"
      "    i = tarfile.TarInfo(name); i.type = type; i.size = len(data)\n"
      "    i.mtime = kw.pop('mtime', 1700000000); i.mode = kw.pop('mode', 0o644)\n"
      "    for k, v in kw.items(): setattr(i, k, v)\n"
      "    t.addfile(i, io.BytesIO(data) if data else None)\n" +
      body + "\nt.close()\n";
  kiln::testing::WriteFile(dir / "make.py", script);
  auto r = Shell("cd '" + dir.string() + "' && python3 make.py && gzip -kf layer.tar");
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return Digest::Sha256Of(ReadFile(dir / "layer.tar"));
}

kiln::core::Status Unpack(const fs::path& blob, const Digest& diff_id, const fs::path& out) {
  fs::create_directories(out);
  FdReader reader(open(blob.c_str(), O_RDONLY | O_CLOEXEC), blob.string());
  return UnpackLayer(reader, diff_id, out.string());
}

}  // namespace

TEST_CASE("a layer unpacks into overlayfs lower form with owners, modes, links and xattrs",
          "[integration]") {
  TempDir tmp;
  auto diff_id = PythonTar(tmp.path(), R"(
add('bin', tarfile.DIRTYPE, mode=0o755)
add('bin/busybox', data=b'BB', mode=0o755)
add('bin/sh', tarfile.SYMTYPE, linkname='busybox', mode=0o777)
add('bin/su', data=b'SU', mode=0o4755, uid=0, gid=0)
add('bin/su2', tarfile.LNKTYPE, linkname='bin/su')
add('home/app/f', data=b'x', uid=1000, gid=1000, mode=0o600,
    pax_headers={'SCHILY.xattr.user.note': 'v', 'SCHILY.xattr.trusted.overlay.opaque': 'y'})
add('gone/.wh..wh..opq')
add('.wh.old')
add('dev/fifo', tarfile.FIFOTYPE)
add('etc', tarfile.DIRTYPE, mode=0o700, mtime=1600000000)
add('etc/hosts', data=b'h')
)");
  auto out = tmp / "out";
  auto status = Unpack(tmp / "layer.tar.gz", diff_id, out);
  INFO((status ? "" : status.error().message));
  REQUIRE(status);
  struct stat st {};
  REQUIRE(lstat((out / "bin/su").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 04755);
  CHECK(st.st_nlink == 2);  // bin/su2 is the same inode
  CHECK(st.st_mtime == 1700000000);
  CHECK(fs::read_symlink(out / "bin/sh") == "busybox");
  REQUIRE(lstat((out / "home/app/f").c_str(), &st) == 0);
  CHECK(st.st_uid == 1000);
  CHECK((st.st_mode & 07777) == 0600);
  char value[8] = {};
  CHECK(getxattr((out / "home/app/f").c_str(), "user.note", value, sizeof value) == 1);
  CHECK(getxattr((out / "home/app/f").c_str(), "trusted.overlay.opaque", value, 8) < 0);
  CHECK(getxattr((out / "gone").c_str(), "trusted.overlay.opaque", value, 8) == 1);
  CHECK(value[0] == 'y');
  REQUIRE(lstat((out / "old").c_str(), &st) == 0);  // the whiteout, as overlayfs writes them
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == makedev(0, 0));
  REQUIRE(lstat((out / "dev/fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(lstat((out / "etc").c_str(), &st) == 0);  // set after etc/hosts was written
  CHECK(st.st_mtime == 1600000000);
  CHECK((st.st_mode & 07777) == 0700);
}

TEST_CASE("a layer whose bytes do not match its diff_id is refused", "[integration]") {
  TempDir tmp;
  auto diff_id = PythonTar(tmp.path(), "add('a', data=b'1')");
  auto status = Unpack(tmp / "layer.tar.gz", Digest::Sha256Of("other"), tmp / "out");
  REQUIRE_FALSE(status);
  CHECK(status.error().code == ErrorCode::kConflict);
  CHECK(Unpack(tmp / "layer.tar", diff_id, tmp / "out2"));  // uncompressed works too
}

TEST_CASE("entries that would escape the layer directory are refused", "[integration]") {
  TempDir tmp;
  fs::create_directories(tmp / "victim");
  for (const char* body :
       {"add('../escape', data=b'x')", "add('/abs', data=b'x')",
        "add('lnk', tarfile.SYMTYPE, linkname='"
        "/tmp"
        "')\nadd('lnk/x', data=b'x')",
        "add('up', tarfile.SYMTYPE, linkname='..')\nadd('up/victim/x', data=b'x')",
        "add('h', tarfile.LNKTYPE, linkname='../victim/y')"}) {
    auto diff_id = PythonTar(tmp.path(), body);
    fs::remove_all(tmp / "out");
    auto status = Unpack(tmp / "layer.tar.gz", diff_id, tmp / "out");
    INFO(body);
    REQUIRE_FALSE(status);
    CHECK(status.error().code == ErrorCode::kInvalidInput);
  }
  CHECK(fs::is_empty(tmp / "victim"));
  CHECK_FALSE(fs::exists("/escape"));
}

TEST_CASE("a directory replaced by a later file of the same name unpacks, and vice versa",
          "[integration]") {
  TempDir tmp;
  auto diff_id = PythonTar(tmp.path(), R"(
add('x', tarfile.DIRTYPE, mode=0o755)
add('x/sub', tarfile.DIRTYPE, mode=0o755)
add('x/sub/a', data=b'a')
add('x', data=b'file')
add('y', data=b'file')
add('y', tarfile.DIRTYPE, mode=0o750, mtime=1600000000)
add('y/b', data=b'b')
)");
  auto status = Unpack(tmp / "layer.tar.gz", diff_id, tmp / "out");
  INFO((status ? std::string() : status.error().message));
  REQUIRE(status);
  CHECK(fs::is_regular_file(tmp / "out/x"));
  CHECK(ReadFile(tmp / "out/x") == "file");
  CHECK(ReadFile(tmp / "out/y/b") == "b");
  struct stat st {};
  REQUIRE(stat((tmp / "out/y").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0750);
  CHECK(st.st_mtime == 1600000000);
}

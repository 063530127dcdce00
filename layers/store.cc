// Store: opening the layout and the blob half (BlobStore).
#include "layers/store.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "core/sys_fs.h"
#include "layers/file_blob_writer.h"
#include "layers/fs_util.h"
#include "layers/owned_temp.h"

namespace kiln::layers {
namespace {

constexpr std::string_view kOciLayout = R"({"imageLayoutVersion":"1.0.0"})";
constexpr std::string_view kEmptyIndex =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";

// Hashes what it reads and checks the digest (and size) at the end.
class VerifyingReader : public core::Reader {
 public:
  VerifyingReader(int fd, std::string path, core::Digest want, uint64_t size)
      : file_(fd, path), path_(std::move(path)), want_(std::move(want)), size_(size),
        hasher_(want_.algorithm()) {}
  core::Result<size_t> Read(void* buffer, size_t size) override {
    KILN_ASSIGN(size_t n, file_.Read(buffer, size));
    if (n > 0) {
      hasher_.Update(buffer, n);
      return n;
    }
    if (!checked_) {
      checked_ = true;
      uint64_t got_size = hasher_.size();
      core::Digest got = hasher_.Finish();
      if (got != want_ || got_size != size_)
        return core::Fail(core::ErrorCode::kConflict,
                          "blob " + want_.ToString() + " is corrupt (its bytes hash to " +
                              got.ToString() + "): delete " + path_ + " and fetch it again");
    }
    return 0;
  }

 private:
  FdReader file_;
  std::string path_;
  core::Digest want_;
  uint64_t size_;
  core::Hasher hasher_;
  bool checked_ = false;
};

std::string BlobDest(const std::string& root, const core::Digest& d) {
  return root + "/blobs/" + d.algorithm() + "/" + d.hex();
}

std::string Octal(uint32_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// The store root must be a directory only its user (or root) can change: another user who can
// create or rename entries in it could swap snapshots/ or blobs/ for links of their own. A new
// root is made 0700. An existing one that others can write is refused rather than changed,
// because it is a directory the user chose and may share on purpose; its subdirectories are
// kiln's own and are tightened (TightenSubdirs).
core::Status CheckRoot(const std::string& root) {
  sys::FileStat st;
  if (sys::Stat(root, &st) != 0) {
    if (errno != ENOENT) return ErrnoError("cannot open the store", root);
    if (auto slash = root.rfind('/'); slash != std::string::npos && slash > 0)
      KILN_TRY(MakeDirs(root.substr(0, slash)));
    if (sys::MakeDir(root, 0700) != 0 && errno != EEXIST)
      return ErrnoError("cannot create directory", root);
    if (sys::Stat(root, &st) != 0) return ErrnoError("cannot open the store", root);
  }
  if (!st.IsDir())
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "the store root " + root + " is not a directory");
  if (st.uid != sys::EffectiveUid() && st.uid != 0)
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "the store root " + root + " belongs to uid " + std::to_string(st.uid) +
                          ", not to you: that user could replace what kiln keeps there; use a "
                          "directory of your own for --root");
  if (st.mode & 022)  // group or others may write
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "the store root " + root + " is writable by other users (mode " +
                          Octal(st.mode) +
                          "): they could replace what kiln keeps there; run chmod go-w " + root +
                          " or use another --root");
  return {};
}

// Image content (blobs, unpacked layers with setuid programs and device nodes, runc bundles,
// build scratch trees) lives in the root's subdirectories: each is made 0700 so that no other
// user can reach anything below it (docker keeps its overlay2 dirs 0710: CVE-2021-41091). An
// older store's 0755 dirs are tightened in place.
core::Status TightenSubdirs(const std::string& root) {
  std::vector<std::string> names;
  if (sys::ListDir(root, &names) != 0) return ErrnoError("cannot open the store", root);
  core::Status status;
  for (const auto& name : names) {
    std::string path = root + "/" + name;
    sys::FileStat st;
    if (sys::Lstat(path, &st) != 0 || !st.IsDir() || (st.mode & 077) == 0) continue;
    if (sys::Chmod(path, 0700) != 0) status = ErrnoError("cannot make private", path);
  }
  return status;
}

// Leftovers of kiln processes that died (kill -9, power loss): temp files and build scratch
// trees in tmp/ and temp siblings of index.json whose owner no longer holds their lock.
void RemoveOrphans(const std::string& root) {
  RemoveOrphanTemps(root + "/tmp", [](std::string_view) { return true; });
  RemoveOrphanTemps(root, [](std::string_view name) {
    return IsTempSibling(name, "index.json.tmp-") || IsTempSibling(name, "oci-layout.tmp-");
  });
}

}  // namespace

core::Result<std::unique_ptr<Store>> Store::Open(const std::string& root_in) {
  // Absolute, because the snapshotter mounts from a child that changes its working directory.
  std::error_code ec;
  std::string root =
      sys::GenericPathString(std::filesystem::absolute(sys::U8Path(root_in.empty() ? "." : root_in), ec));
  if (ec)
    return core::Fail(core::ErrorCode::kIo,
                      "cannot open the store " + root_in + ": " + ec.message());
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto store = std::unique_ptr<Store>(new Store(root));
  KILN_TRY(CheckRoot(root));
  for (const char* sub : {"/blobs", "/cache", "/tmp", "/remote"})
    KILN_TRY(MakePrivateDir(root + sub));
  KILN_TRY(TightenSubdirs(root));
  for (const char* sub : {"/blobs/sha256", "/remote/sha256"}) KILN_TRY(MakeDirs(root + sub));
  KILN_ASSIGN(store->gc_lock_, FileLock::Acquire(root + "/gc.lock", FileLock::Mode::kShared));
  RemoveOrphans(root);
  sys::FileStat st;
  if (sys::Stat(root + "/oci-layout", &st) != 0)
    KILN_TRY(WriteFileAtomic(root + "/oci-layout", kOciLayout));
  if (sys::Stat(root + "/index.json", &st) != 0) {
    KILN_ASSIGN(FileLock lock, store->LockIndex());
    if (sys::Stat(root + "/index.json", &st) != 0)
      KILN_TRY(WriteFileAtomic(root + "/index.json", kEmptyIndex));
  }
  return store;
}

std::string Store::BlobPath(const core::Digest& digest) const { return BlobDest(root_, digest); }

bool Store::Has(const core::Digest& digest) {
  sys::FileStat st;
  return !digest.empty() && sys::Stat(BlobPath(digest), &st) == 0 && st.IsRegular();
}

core::Result<uint64_t> Store::Size(const core::Digest& digest) {
  sys::FileStat st;
  if (digest.empty() || sys::Stat(BlobPath(digest), &st) != 0)
    return core::Fail(core::ErrorCode::kNotFound,
                      "blob " + digest.ToString() + " is not in the local store");
  return st.size;
}

core::Result<std::unique_ptr<core::Reader>> Store::Open(const core::Digest& digest) {
  std::string path = BlobPath(digest);
  int fd = sys::Open(path, sys::kRead);
  if (fd < 0)
    return core::Fail(core::ErrorCode::kNotFound,
                      "blob " + digest.ToString() + " is not in the local store");
  sys::FileStat st;
  sys::Fstat(fd, &st);
  sys::AdviseSequential(fd);
  return std::unique_ptr<core::Reader>(new VerifyingReader(fd, path, digest, st.size));
}

core::Result<std::unique_ptr<BlobWriter>> Store::NewWriter() {
  KILN_ASSIGN(auto w, FileBlobWriter::Create(tmp_dir() + "/blob-XXXXXX", root_, &BlobDest));
  return std::unique_ptr<BlobWriter>(std::move(w));
}

}  // namespace kiln::layers

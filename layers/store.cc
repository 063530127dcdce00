// Store: opening the layout and the blob half (BlobStore).
#include "layers/store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "layers/file_blob_writer.h"
#include "layers/fs_util.h"

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

}  // namespace

core::Result<std::unique_ptr<Store>> Store::Open(const std::string& root_in) {
  std::string root = root_in;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto store = std::unique_ptr<Store>(new Store(root));
  for (const char* sub : {"/blobs/sha256", "/cache", "/tmp", "/remote/sha256"})
    KILN_TRY(MakeDirs(root + sub));
  KILN_ASSIGN(store->gc_lock_, FileLock::Acquire(root + "/gc.lock", FileLock::Mode::kShared));
  if (access((root + "/oci-layout").c_str(), F_OK) != 0)
    KILN_TRY(WriteFileAtomic(root + "/oci-layout", kOciLayout));
  if (access((root + "/index.json").c_str(), F_OK) != 0) {
    KILN_ASSIGN(FileLock lock, store->LockIndex());
    if (access((root + "/index.json").c_str(), F_OK) != 0)
      KILN_TRY(WriteFileAtomic(root + "/index.json", kEmptyIndex));
  }
  return store;
}

std::string Store::BlobPath(const core::Digest& digest) const { return BlobDest(root_, digest); }

bool Store::Has(const core::Digest& digest) {
  struct stat st;
  return !digest.empty() && stat(BlobPath(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

core::Result<uint64_t> Store::Size(const core::Digest& digest) {
  struct stat st;
  if (digest.empty() || stat(BlobPath(digest).c_str(), &st) != 0)
    return core::Fail(core::ErrorCode::kNotFound,
                      "blob " + digest.ToString() + " is not in the local store");
  return static_cast<uint64_t>(st.st_size);
}

core::Result<std::unique_ptr<core::Reader>> Store::Open(const core::Digest& digest) {
  std::string path = BlobPath(digest);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return core::Fail(core::ErrorCode::kNotFound,
                      "blob " + digest.ToString() + " is not in the local store");
  struct stat st;
  fstat(fd, &st);
  posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::unique_ptr<core::Reader>(
      new VerifyingReader(fd, path, digest, static_cast<uint64_t>(st.st_size)));
}

core::Result<std::unique_ptr<BlobWriter>> Store::NewWriter() {
  KILN_ASSIGN(auto w, FileBlobWriter::Create(tmp_dir() + "/blob-XXXXXX", root_, &BlobDest));
  return std::unique_ptr<BlobWriter>(std::move(w));
}

}  // namespace kiln::layers

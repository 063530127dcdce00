#include "layers/file_blob_writer.h"

#include <cerrno>

#include "core/sys_fs.h"
#include "layers/owned_temp.h"

namespace kiln::layers {
namespace {

constexpr size_t kBuffer = 1 << 20;

std::unexpected<core::Error> IoError(const std::string& what, const std::string& path) {
  return core::Fail(core::ErrorCode::kIo, what + " " + path + ": " + sys::ErrorText(errno));
}

std::string Parent(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

}  // namespace

core::Status SyncDirectory(const std::string& dir) {
  if (sys::SyncDir(dir) != 0) return IoError("cannot sync directory", dir);
  return {};
}

core::Result<std::unique_ptr<FileBlobWriter>> FileBlobWriter::Create(std::string temp_template,
                                                                     std::string base,
                                                                     DestFn dest) {
  KILN_ASSIGN(int fd, CreateOwnedTempFile(temp_template));  // locked: see owned_temp.h
  sys::Fchmod(fd, 0644);
  return std::unique_ptr<FileBlobWriter>(
      new FileBlobWriter(fd, std::move(temp_template), std::move(base), dest));
}

FileBlobWriter::FileBlobWriter(int fd, std::string temp, std::string base, DestFn dest)
    : fd_(fd), temp_(std::move(temp)), base_(std::move(base)), dest_(dest) {
  buf_.reserve(kBuffer);
}

FileBlobWriter::~FileBlobWriter() {
  if (fd_ >= 0) sys::Close(fd_);
  if (!committed_) sys::Unlink(temp_);
}

core::Status FileBlobWriter::Flush() {
  if (sys::WriteAll(fd_, buf_.data(), buf_.size()) != 0) return IoError("cannot write", temp_);
  buf_.clear();
  return {};
}

core::Status FileBlobWriter::Write(const void* data, size_t size) {
  if (fd_ < 0) return core::Fail(core::ErrorCode::kInternal, "write after commit: " + temp_);
  hasher_.Update(data, size);
  if (buf_.size() + size > kBuffer) KILN_TRY(Flush());
  if (size >= kBuffer) {
    buf_.assign(static_cast<const char*>(data), size);
    return Flush();
  }
  buf_.append(static_cast<const char*>(data), size);
  return {};
}

core::Result<core::Descriptor> FileBlobWriter::Commit(std::string_view media_type,
                                                      const core::Digest* expected) {
  if (fd_ < 0) return core::Fail(core::ErrorCode::kInternal, "blob committed twice: " + temp_);
  KILN_TRY(Flush());
  uint64_t size = hasher_.size();
  core::Digest digest = hasher_.Finish();
  if (expected && *expected != digest)
    return core::Fail(core::ErrorCode::kConflict,
                      "digest mismatch: expected " + expected->ToString() + ", got " +
                          digest.ToString() + " (" + std::to_string(size) + " bytes)");
  if (sys::Fsync(fd_) != 0) return IoError("cannot sync", temp_);
  // Renamed while still open (and locked), so no sweeper takes it for an orphan in between.
  std::string dest = dest_(base_, digest);
  if (sys::Rename(temp_, dest) != 0) return IoError("cannot rename into", dest);
  committed_ = true;
  sys::Close(fd_);
  fd_ = -1;
  KILN_TRY(SyncDirectory(Parent(dest)));
  core::Descriptor d;
  d.media_type = std::string(media_type);
  d.digest = digest;
  d.size = static_cast<int64_t>(size);
  return d;
}

core::Result<std::unique_ptr<BlobWriter>> NewFileBlobWriter(const std::string& path) {
  auto dest = [](const std::string& base, const core::Digest&) { return base; };
  // Temp siblings of earlier writes to the same path whose kiln process died (kill -9).
  std::string base = path.substr(path.rfind('/') + 1);
  RemoveOrphanTemps(Parent(path), [&](std::string_view name) {
    return IsTempSibling(name, base + ".tmp-");
  });
  KILN_ASSIGN(auto w, FileBlobWriter::Create(path + ".tmp-XXXXXX", path, dest));
  return std::unique_ptr<BlobWriter>(std::move(w));
}

}  // namespace kiln::layers

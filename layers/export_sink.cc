#include "layers/export_sink.h"

#include "core/sys_fs.h"
#include "layers/blob_store.h"
#include "layers/file_blob_writer.h"
#include "layers/fs_util.h"
#include "layers/owned_temp.h"
#include "layers/tar_writer.h"

namespace kiln::layers {
namespace {

// Reads one byte past the end so a verifying reader checks its digest.
core::Status DrainCheck(core::Reader& r) {
  char extra;
  KILN_ASSIGN(size_t n, r.Read(&extra, 1));
  if (n != 0) return core::Fail(core::ErrorCode::kConflict, "blob is longer than its size");
  return {};
}

// A copy-on-write clone of `source` at `dest` (temp + rename); false where the file system
// has no reflinks (ext4, Windows) or the two are on different file systems.
bool Reflink(const std::string& source, const std::string& dest) {
  int in = sys::Open(source, sys::kRead);
  if (in < 0) return false;
  std::string temp = dest + ".tmp-XXXXXX";
  auto out = CreateOwnedTempFile(temp);
  bool ok = out && sys::CloneFile(in, *out) == 0 && sys::Fchmod(*out, 0644) == 0 &&
            sys::Fsync(*out) == 0 && sys::Rename(temp, dest) == 0;
  if (out) {
    if (!ok) sys::Unlink(temp);
    sys::Close(*out);
  }
  sys::Close(in);
  return ok;
}

class DirSink : public ExportSink {
 public:
  explicit DirSink(std::string dir) : dir_(std::move(dir)) {}
  core::Status AddBlob(const std::string& path, const core::Digest& digest, uint64_t size,
                       core::Reader& content) override {
    std::string dest = dir_ + "/" + path;
    sys::FileStat st;
    if (sys::Stat(dest, &st) == 0 && st.size == size) return {};
    KILN_TRY(MakeDirs(dest.substr(0, dest.rfind('/'))));
    KILN_ASSIGN(auto w, NewFileBlobWriter(dest));
    KILN_TRY(core::Copy(content, *w));
    KILN_TRY(w->Commit("", &digest));
    return {};
  }
  core::Result<bool> LinkBlob(const std::string& path, uint64_t size,
                              const std::string& source) override {
    std::string dest = dir_ + "/" + path;
    sys::FileStat st;
    if (sys::Stat(dest, &st) == 0 && st.size == size) return true;
    KILN_TRY(MakeDirs(dest.substr(0, dest.rfind('/'))));
    if (Reflink(source, dest)) return true;
    // A hard link appears whole or not at all; a stale file of the wrong size is replaced by
    // the copy path (temp + rename) instead.
    if (sys::HardLink(source, dest) != 0) return false;
    KILN_TRY(SyncDirectory(dest.substr(0, dest.rfind('/'))));
    return true;
  }
  core::Status AddBytes(const std::string& path, std::string_view data) override {
    return WriteFileAtomic(dir_ + "/" + path, data);
  }
  core::Result<std::vector<core::Descriptor>> ExistingIndex() override {
    auto text = ReadFileToString(dir_ + "/index.json");
    if (!text) return std::vector<core::Descriptor>{};
    KILN_ASSIGN(core::Index index, core::Index::Parse(*text));
    return index.manifests;
  }
  core::Status Finish() override { return {}; }

 private:
  std::string dir_;
};

class TarSink : public ExportSink {
 public:
  TarSink(std::unique_ptr<BlobWriter> file, int64_t mtime)
      : file_(std::move(file)), tar_(*file_, TarWriterOptions{true}), mtime_(mtime) {}
  core::Status Start() {
    for (const char* d : {"blobs", "blobs/sha256"}) {
      TarEntry e = Entry(d, 0);
      e.type = EntryType::kDirectory;
      e.mode = 0755;
      KILN_TRY(tar_.WriteHeader(e));
    }
    return {};
  }
  core::Status AddBlob(const std::string& path, const core::Digest& digest, uint64_t size,
                       core::Reader& content) override {
    KILN_TRY(tar_.WriteHeader(Entry(path, size)));
    KILN_TRY(tar_.CopyData(content));
    auto checked = DrainCheck(content);
    if (!checked) return core::Fail(checked.error().Wrap(digest.ToString()));
    return {};
  }
  core::Status AddBytes(const std::string& path, std::string_view data) override {
    KILN_TRY(tar_.WriteHeader(Entry(path, data.size())));
    return tar_.WriteData(data.data(), data.size());
  }
  core::Result<std::vector<core::Descriptor>> ExistingIndex() override {
    return std::vector<core::Descriptor>{};
  }
  core::Status Finish() override {
    KILN_TRY(tar_.Finish());
    KILN_TRY(file_->Commit("application/x-tar"));
    return {};
  }

 private:
  TarEntry Entry(const std::string& name, uint64_t size) const {
    TarEntry e;
    e.name = name;
    e.size = size;
    e.mtime = {mtime_, 0};
    return e;
  }
  std::unique_ptr<BlobWriter> file_;
  TarWriter tar_;
  int64_t mtime_;
};

}  // namespace

core::Result<std::unique_ptr<ExportSink>> NewDirExportSink(const std::string& dir) {
  KILN_TRY(MakeDirs(dir + "/blobs/sha256"));
  // Partial blobs and index files of an earlier export here whose kiln process died (only the
  // names kiln writes: the directory may hold other files).
  auto is_temp = [](std::string_view name) {
    auto at = name.rfind(".tmp-");
    if (at == std::string_view::npos || name.size() != at + 5 + 6) return false;
    std::string_view of = name.substr(0, at);
    bool hex = of.size() == 64 && of.find_first_not_of("0123456789abcdef") == of.npos;
    return hex || of == "index.json" || of == "oci-layout" || of == "manifest.json" ||
           of == "repositories";
  };
  RemoveOrphanTemps(dir, is_temp);
  RemoveOrphanTemps(dir + "/blobs/sha256", is_temp);
  return std::unique_ptr<ExportSink>(new DirSink(dir));
}

core::Result<std::unique_ptr<ExportSink>> NewTarExportSink(const std::string& file, int64_t mtime) {
  KILN_ASSIGN(auto out, NewFileBlobWriter(file));
  auto sink = std::make_unique<TarSink>(std::move(out), mtime);
  KILN_TRY(sink->Start());
  return std::unique_ptr<ExportSink>(std::move(sink));
}

}  // namespace kiln::layers

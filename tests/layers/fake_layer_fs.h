// Test double of the LayerFs thin layer: a real directory tree (std::filesystem stands in for
// NTFS) plus, beside it in memory, what Linux cannot store: FILE_BASIC_INFO, security
// descriptors, EAs, reparse points and alternate streams (all taken from BackupWrite streams the
// way Windows would). Records the mutating calls it receives.
#pragma once

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "layers/windows/backup_stream.h"
#include "layers/windows/extended_attributes.h"
#include "layers/windows/file_info.h"
#include "layers/windows/layer_fs.h"
#include "layers/windows/reparse_point.h"
#include "layers/windows/utf16.h"
#include "tests/support/test_env.h"

namespace kiln::testing {

namespace win = kiln::layers::windows;
namespace stdfs = std::filesystem;

struct FakeMeta {
  std::optional<win::FileBasicInfo> info;
  std::string security_descriptor;
  std::map<std::string, std::string> eas;
  std::optional<win::ReparsePoint> reparse;
  std::map<std::string, std::string> alternate_streams;  // stream name -> bytes
};

// FakeMeta by path string. Keys take the host's separator (make_preferred), so a test's
// `root / "Files/a"` and the `root\Files\a` kiln builds name one file on Windows, as on NTFS.
struct FakeMetaByPath : std::map<std::string, FakeMeta> {
  using Base = std::map<std::string, FakeMeta>;
  static std::string Key(const std::string& p) { return stdfs::path(p).make_preferred().string(); }
  FakeMeta& operator[](const std::string& p) { return Base::operator[](Key(p)); }
  Base::iterator find(const std::string& p) { return Base::find(Key(p)); }
  size_t erase(const std::string& p) { return Base::erase(Key(p)); }
};

class FakeLayerFs : public win::LayerFs {
 public:
  FakeMetaByPath meta;
  std::vector<std::string> calls;
  // Paths for which Rename/Remove fail as if a file inside were open (set by tests/FakeLayerApi).
  std::function<bool(const stdfs::path&)> in_use = [](const stdfs::path&) { return false; };

  class File : public win::FsFile {
   public:
    File(FakeLayerFs& owner, stdfs::path path) : owner_(owner), path_(std::move(path)) {}
    ~File() override { (void)Close(); }
    core::Result<size_t> ReadAt(uint64_t offset, void* buffer, size_t size) override {
      std::ifstream in(path_, std::ios::binary);
      in.seekg(static_cast<std::streamoff>(offset));
      in.read(static_cast<char*>(buffer), static_cast<std::streamsize>(size));
      return static_cast<size_t>(in.gcount());
    }
    uint64_t Size() const override {
      std::error_code ec;
      auto n = stdfs::is_regular_file(path_, ec) ? stdfs::file_size(path_, ec) : 0;
      return ec ? 0 : n;
    }
    core::Status Write(const void* data, size_t size) override {
      std::ofstream out(path_, std::ios::binary | std::ios::app);
      out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
      if (!out) return core::Fail(core::ErrorCode::kIo, "write failed: " + path_.string());
      return {};
    }
    core::Result<win::FileBasicInfo> GetBasicInfo() override {
      auto& m = owner_.meta[path_.string()];
      if (m.info) return *m.info;
      win::FileBasicInfo info;
      if (auto st = LinkStatus(path_)) {
        int64_t ticks = win::TarTimeToFileTime({st->mtime_sec, st->mtime_nsec});
        info.creation_time = info.last_access_time = info.last_write_time = info.change_time =
            ticks;
      }
      info.attributes = stdfs::is_directory(path_) ? win::kAttrDirectory : win::kAttrArchive;
      return info;
    }
    core::Status SetBasicInfo(const win::FileBasicInfo& info) override {
      owner_.meta[path_.string()].info = info;
      return {};
    }
    core::Result<win::FileLinkInfo> GetLinkInfo() override {
      auto st = LinkStatus(path_);
      if (!st) return core::Fail(core::ErrorCode::kIo, "stat");
      return win::FileLinkInfo{st->device, 0, st->inode, st->links};
    }
    core::Status BackupWrite(const void* data, size_t size) override {
      backup_.append(static_cast<const char*>(data), size);
      return {};
    }
    core::Status Close() override {
      if (closed_) return {};
      closed_ = true;
      if (backup_.empty()) return {};
      return ApplyBackup();
    }

   private:
    // What BackupWrite does with each stream.
    core::Status ApplyBackup() {
      win::StringRandomAccess src(backup_);
      KILN_ASSIGN(auto records, win::IndexBackupStream(src, 0));
      auto& m = owner_.meta[path_.string()];
      for (const auto& r : records) {
        KILN_ASSIGN(std::string payload, win::ReadPayload(src, r, uint64_t{1} << 32));
        switch (r.header.id) {
          case win::BackupStreamId::kData:
            if (!stdfs::is_directory(path_)) {
              std::ofstream out(path_, std::ios::binary | std::ios::trunc);
              out << payload;
            }
            break;
          case win::BackupStreamId::kSecurityData:
            m.security_descriptor = payload;
            break;
          case win::BackupStreamId::kEaData: {
            KILN_ASSIGN(m.eas, win::DecodeExtendedAttributes(payload));
            break;
          }
          case win::BackupStreamId::kReparseData: {
            KILN_ASSIGN(auto point, win::DecodeReparsePoint(payload));
            m.reparse = point;
            break;
          }
          case win::BackupStreamId::kAlternateData: {
            std::string name = *win::Utf16ToUtf8(r.header.name);
            m.alternate_streams[name] = payload;
            break;
          }
          default:
            break;
        }
      }
      return {};
    }

    FakeLayerFs& owner_;
    stdfs::path path_;
    std::string backup_;
    bool closed_ = false;
  };

  core::Result<std::unique_ptr<win::FsFile>> CreateNew(const stdfs::path& path,
                                                       Kind kind) override {
    calls.push_back("CreateNew " + path.string());
    std::error_code ec;
    if (stdfs::exists(stdfs::symlink_status(path, ec)))
      return core::Fail(core::ErrorCode::kConflict, "exists: " + path.string());
    if (!stdfs::is_directory(path.parent_path()))
      return core::Fail(core::ErrorCode::kNotFound, "no parent: " + path.string());
    if (kind == Kind::kDirectory) {
      stdfs::create_directory(path, ec);
    } else {
      std::ofstream out(path, std::ios::binary);
    }
    meta.erase(path.string());
    return std::unique_ptr<win::FsFile>(std::make_unique<File>(*this, path));
  }
  core::Status MakeDirectory(const stdfs::path& path) override {
    calls.push_back("MakeDirectory " + path.string());
    std::error_code ec;
    if (stdfs::exists(stdfs::symlink_status(path, ec)))
      return core::Fail(core::ErrorCode::kConflict, "exists: " + path.string());
    if (!stdfs::create_directory(path, ec))
      return core::Fail(core::ErrorCode::kNotFound, "mkdir " + path.string() + ": " + ec.message());
    return {};
  }
  core::Result<std::unique_ptr<win::FsFile>> Open(const stdfs::path& path) override {
    std::error_code ec;
    if (!stdfs::exists(stdfs::symlink_status(path, ec)))
      return core::Fail(core::ErrorCode::kNotFound, "not found: " + path.string());
    return std::unique_ptr<win::FsFile>(std::make_unique<File>(*this, path));
  }
  core::Result<std::optional<uint32_t>> Attributes(const stdfs::path& path) override {
    std::error_code ec;
    auto st = stdfs::symlink_status(path, ec);
    if (!stdfs::exists(st)) return std::optional<uint32_t>();
    uint32_t attrs = 0;
    auto it = meta.find(path.string());
    if (it != meta.end() && it->second.info) attrs = it->second.info->attributes;
    if (stdfs::is_directory(st)) attrs |= win::kAttrDirectory;
    if (stdfs::is_symlink(st) || (it != meta.end() && it->second.reparse))
      attrs |= win::kAttrReparsePoint;
    if (attrs == 0) attrs = win::kAttrArchive;
    return std::optional<uint32_t>(attrs);
  }
  core::Result<std::vector<win::DirEntry>> List(const stdfs::path& dir) override {
    std::vector<win::DirEntry> out;
    std::error_code ec;
    for (const auto& e : stdfs::directory_iterator(dir, ec)) {
      KILN_ASSIGN(auto attrs, Attributes(e.path()));
      out.push_back({e.path().filename().string(), attrs.value_or(0),
                     e.is_regular_file() ? e.file_size() : 0});
    }
    if (ec) return core::Fail(core::ErrorCode::kIo, "list " + dir.string() + ": " + ec.message());
    return out;
  }
  core::Status Remove(const stdfs::path& path) override {
    calls.push_back("Remove " + path.string());
    std::error_code ec;
    if (!stdfs::exists(stdfs::symlink_status(path, ec)))
      return core::Fail(core::ErrorCode::kNotFound, "not found: " + path.string());
    if (!stdfs::remove(path, ec))
      return core::Fail(core::ErrorCode::kIo, "remove " + path.string() + ": " + ec.message());
    meta.erase(path.string());
    return {};
  }
  core::Status RemoveTree(const stdfs::path& path) override {
    calls.push_back("RemoveTree " + path.string());
    if (in_use(path)) return core::Fail(core::ErrorCode::kIo, "in use: " + path.string());
    std::error_code ec;
    stdfs::remove_all(path, ec);
    if (ec) return core::Fail(core::ErrorCode::kIo, "remove_all: " + ec.message());
    return {};
  }
  core::Status Rename(const stdfs::path& from, const stdfs::path& to) override {
    calls.push_back("Rename " + from.string() + " -> " + to.string());
    if (in_use(from)) return core::Fail(core::ErrorCode::kIo, "in use: " + from.string());
    std::error_code ec;
    stdfs::rename(from, to, ec);
    if (ec) return core::Fail(core::ErrorCode::kIo, "rename: " + ec.message());
    return {};
  }
  core::Status HardLink(const stdfs::path& target, const stdfs::path& link) override {
    calls.push_back("HardLink " + target.string() + " <- " + link.string());
    std::error_code ec;
    stdfs::create_hard_link(target, link, ec);
    if (ec) return core::Fail(core::ErrorCode::kIo, "link: " + ec.message());
    if (auto it = meta.find(target.string()); it != meta.end()) meta[link.string()] = it->second;
    return {};
  }
};

}  // namespace kiln::testing

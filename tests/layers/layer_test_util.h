// Helpers for the layers tests: write a layer into memory, read a layer back as entries.
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "layers/compression.h"
#include "layers/layer_writer.h"
#include "layers/tar_reader.h"
#include "layers/tar_writer.h"

namespace kiln::layers::testutil {

// A BlobWriter into memory (the committed bytes are kept in `bytes`).
class MemoryBlob : public BlobWriter {
 public:
  explicit MemoryBlob(std::string* bytes) : bytes_(bytes) {}
  core::Status Write(const void* data, size_t size) override {
    bytes_->append(static_cast<const char*>(data), size);
    return {};
  }
  using core::Writer::Write;
  core::Result<core::Descriptor> Commit(std::string_view media_type,
                                        const core::Digest* expected) override {
    core::Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = core::Digest::Sha256Of(*bytes_);
    d.size = static_cast<int64_t>(bytes_->size());
    return d;
  }
  uint64_t size() const override { return bytes_->size(); }

 private:
  std::string* bytes_;
};

struct ReadEntry {
  TarEntry entry;
  std::string data;
};

// A tar of the entries exactly as given (no layer rules), as any producer might write it.
inline std::string WriteTar(const std::vector<std::pair<TarEntry, std::string>>& entries) {
  core::StringWriter out;
  TarWriter w(out);
  for (const auto& [e, data] : entries) {
    core::StringReader r(data);
    REQUIRE(w.WriteEntry(e, &r));
  }
  REQUIRE(w.Finish());
  return out.data();
}

// Every entry and its data of a layer blob (tar, tar+gzip or tar+zstd).
inline std::vector<ReadEntry> ReadLayer(const std::string& blob) {
  core::StringReader in(blob);
  auto tar = NewDecompressor(in);
  REQUIRE(tar);
  TarReader r(**tar);
  std::vector<ReadEntry> out;
  for (;;) {
    auto e = r.Next();
    REQUIRE(e);
    if (!*e) break;
    auto data = core::ReadAll(r.content(), 1 << 26);
    REQUIRE(data);
    out.push_back({**e, *data});
  }
  return out;
}

inline std::vector<std::string> Names(const std::vector<ReadEntry>& entries) {
  std::vector<std::string> out;
  for (const auto& e : entries) out.push_back(e.entry.name);
  return out;
}

}  // namespace kiln::layers::testutil

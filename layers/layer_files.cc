#include "layers/layer_files.h"

#include <optional>
#include <stdexcept>

#include "core/image.h"
#include "layers/compression.h"
#include "layers/tar_reader.h"

namespace kiln::layers {
namespace {

// Package manifests bigger than this are not parsed (real lock files are a few MiB at most).
constexpr size_t kMaxManifestBytes = 32 << 20;

}  // namespace

std::string LayerFiles::Serialize() const {
  // Written as text, entry by entry (the bytes nlohmann's dump() gives for the same tree, which
  // Parse reads): a tree of 30,000 small arrays first would cost more than the layer's hashing.
  auto str = [](std::string& out, std::string_view s) { core::AppendJsonString(out, s); };
  std::string out = "{\"diff_id\":";
  str(out, diff_id.ToString());
  out += ",\"entries\":[";
  out.reserve(out.size() + entries.size() * 128);
  for (size_t i = 0; i < entries.size(); ++i) {
    // [name, type, size, sha256, link]: compact, 30,000 entries stay small.
    const auto& e = entries[i];
    out += i ? ",[" : "[";
    str(out, e.name);
    out += ",\"";
    out += static_cast<char>(e.type);  // a tar type flag: a printable ASCII character
    out += "\",";
    out += std::to_string(e.size);
    out += ',';
    str(out, e.sha256);
    out += ',';
    str(out, e.link);
    out += ']';
  }
  out += "],\"packages\":";
  core::Json packages = core::Json::array();
  for (const auto& p : this->packages)
    packages.push_back(core::Json::array({p.ecosystem, p.name, p.version, p.source}));
  out += packages.dump();
  out += '}';
  return out;
}

core::Result<LayerFiles> LayerFiles::Parse(std::string_view json) {
  core::Json j = core::Json::parse(json, nullptr, false);
  LayerFiles out;
  try {
    if (!j.is_object()) throw std::runtime_error("not an object");
    KILN_ASSIGN(out.diff_id, core::Digest::Parse(j.at("diff_id").get<std::string>()));
    for (const auto& e : j.at("entries")) {
      LayerFile f;
      f.name = e.at(0).get<std::string>();
      std::string type = e.at(1).get<std::string>();
      f.type = static_cast<EntryType>(type.empty() ? '0' : type[0]);
      f.size = e.at(2).get<uint64_t>();
      f.sha256 = e.at(3).get<std::string>();
      f.link = e.at(4).get<std::string>();
      out.entries.push_back(std::move(f));
    }
    for (const auto& p : j.at("packages"))
      out.packages.push_back({p.at(0).get<std::string>(), p.at(1).get<std::string>(),
                              p.at(2).get<std::string>(), p.at(3).get<std::string>()});
  } catch (const std::exception& e) {
    return core::Fail(core::ErrorCode::kInvalidInput, std::string("malformed layer file list: ") + e.what());
  }
  return out;
}

void LayerFilesRecorder::Begin(const TarEntry& entry) {
  LayerFile f;
  f.name = entry.name;
  f.type = entry.type;
  f.size = entry.is_file() ? entry.size : 0;
  f.link = entry.linkname;
  files_.entries.push_back(std::move(f));
  capture_ = entry.is_file() && entry.size <= kMaxManifestBytes && IsPackageManifest(entry.name);
  captured_.clear();
}

void LayerFilesRecorder::Data(const char* data, size_t size) {
  if (capture_) captured_.append(data, size);
}

void LayerFilesRecorder::End(const core::Digest* sha256) {
  if (sha256) files_.entries.back().sha256 = sha256->hex();
  if (capture_) {
    auto found = ParsePackages(files_.entries.back().name, captured_);
    files_.packages.insert(files_.packages.end(), found.begin(), found.end());
    captured_.clear();
    capture_ = false;
  }
}

void LayerFilesRecorder::Finish(const core::Digest& diff_id) {
  files_.diff_id = diff_id;
  if (done_) done_(std::move(files_));
  files_ = LayerFiles{};
}

core::Result<LayerFiles> RecordLayerBlob(core::Reader& blob) {
  KILN_ASSIGN(auto plain, NewDecompressor(blob));
  core::Hasher diff;
  // Hash the tar itself while reading it: the record's diff_id.
  class Tee : public core::Reader {
   public:
    Tee(core::Reader& in, core::Hasher& h) : in_(in), h_(h) {}
    core::Result<size_t> Read(void* buf, size_t n) override {
      KILN_ASSIGN(size_t got, in_.Read(buf, n));
      h_.Update(buf, got);
      return got;
    }

   private:
    core::Reader& in_;
    core::Hasher& h_;
  } tee(*plain, diff);
  LayerFiles result;
  LayerFilesRecorder recorder([&](LayerFiles&& f) { result = std::move(f); });
  TarReader tar(tee);
  std::vector<char> buf(1 << 20);
  for (;;) {
    KILN_ASSIGN(const TarEntry* e, tar.Next());
    if (!e) break;
    recorder.Begin(*e);
    std::optional<core::Digest> sha256;
    if (e->is_file()) {
      core::Hasher content;
      for (;;) {
        KILN_ASSIGN(size_t n, tar.content().Read(buf.data(), buf.size()));
        if (n == 0) break;
        content.Update(buf.data(), n);
        recorder.Data(buf.data(), n);
      }
      sha256 = content.Finish();
    }
    recorder.End(sha256 ? &*sha256 : nullptr);
  }
  // The rest of the stream (end-of-archive blocks) belongs to the diff_id too.
  for (;;) {
    KILN_ASSIGN(size_t n, tee.Read(buf.data(), buf.size()));
    if (n == 0) break;
  }
  recorder.Finish(diff.Finish());
  return result;
}

}  // namespace kiln::layers

#include "tests/support/test_image.h"

#include <cstring>
#include <fstream>

#include "core/media_types.h"

namespace kiln::testing {
namespace {

uint64_t Next(uint64_t& s) {  // xorshift64*
  s ^= s >> 12;
  s ^= s << 25;
  s ^= s >> 27;
  return s * 2685821657736338717ULL;
}

void Fill(char* p, size_t n, uint64_t& state) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t v = Next(state);
    std::memcpy(p + i, &v, 8);
  }
  for (; i < n; ++i) p[i] = static_cast<char>(Next(state));
}

}  // namespace

core::Descriptor TestImage::descriptor() const {
  core::Descriptor d;
  d.media_type = std::string(core::media::kOciManifest);
  d.digest = manifest_digest;
  d.size = static_cast<int64_t>(manifest.size());
  return d;
}

std::string RandomBytes(uint64_t size, uint32_t seed) {
  std::string out(size, '\0');
  uint64_t state = 0x9E3779B97F4A7C15ULL ^ seed;
  Fill(out.data(), out.size(), state);
  return out;
}

core::Digest WriteRandomFile(const std::filesystem::path& path, uint64_t size, uint32_t seed) {
  std::ofstream f(path, std::ios::binary);
  uint64_t state = 0x9E3779B97F4A7C15ULL ^ seed;
  std::string buf(1 << 20, '\0');
  core::Hasher h;
  for (uint64_t done = 0; done < size;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    Fill(buf.data(), n, state);
    f.write(buf.data(), static_cast<std::streamsize>(n));
    h.Update(buf.data(), n);
    done += n;
  }
  return h.Finish();
}

TestImage MakeTestImage(const std::vector<uint64_t>& sizes, uint32_t seed,
                        const std::filesystem::path& dir, const core::Platform& platform) {
  TestImage img;
  core::ImageConfig config;
  config.set_platform(platform);
  config.created = "2026-01-01T00:00:00Z";
  for (size_t i = 0; i < sizes.size(); ++i) {
    TestBlob b;
    uint32_t s = seed * 1000 + static_cast<uint32_t>(i);
    if (sizes[i] > (16u << 20)) {
      b.file = dir / ("layer-" + std::to_string(s));
      b.desc.digest = WriteRandomFile(b.file, sizes[i], s);
    } else {
      b.bytes = RandomBytes(sizes[i], s);
      b.desc.digest = core::Digest::Sha256Of(b.bytes);
    }
    b.desc.size = static_cast<int64_t>(sizes[i]);
    b.desc.media_type = std::string(core::media::kOciLayerGzip);
    config.diff_ids.push_back(b.desc.digest);  // not a real diff_id; registries do not care
    img.layers.push_back(std::move(b));
  }
  img.config.bytes = config.Serialize();
  img.config.desc.media_type = std::string(core::media::kOciConfig);
  img.config.desc.digest = core::Digest::Sha256Of(img.config.bytes);
  img.config.desc.size = static_cast<int64_t>(img.config.bytes.size());
  core::Manifest m;
  m.media_type = std::string(core::media::kOciManifest);
  m.config = img.config.desc;
  for (const auto& l : img.layers) m.layers.push_back(l.desc);
  img.manifest = m.Serialize();
  img.manifest_digest = core::Digest::Sha256Of(img.manifest);
  return img;
}

std::string MakeIndex(const std::vector<TestImage>& images,
                      const std::vector<core::Platform>& platforms) {
  core::Index index;
  index.media_type = std::string(core::media::kOciIndex);
  for (size_t i = 0; i < images.size(); ++i) {
    core::Descriptor d = images[i].descriptor();
    d.platform = platforms[i];
    index.manifests.push_back(d);
  }
  return index.Serialize();
}

}  // namespace kiln::testing

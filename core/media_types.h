// Media types of OCI and Docker image manifests, indexes, configs and layers.
#pragma once

#include <string_view>

namespace kiln::core::media {

inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kOciLayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view kOciLayerNondist =
    "application/vnd.oci.image.layer.nondistributable.v1.tar";
inline constexpr std::string_view kOciLayerNondistGzip =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
inline constexpr std::string_view kOciLayerNondistZstd =
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd";

inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view kDockerLayerZstd =
    "application/vnd.docker.image.rootfs.diff.tar.zstd";
inline constexpr std::string_view kDockerForeignLayerGzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

enum class Compression { kNone, kGzip, kZstd };

inline bool IsIndex(std::string_view t) { return t == kOciIndex || t == kDockerManifestList; }
inline bool IsManifest(std::string_view t) { return t == kOciManifest || t == kDockerManifest; }
inline bool IsLayer(std::string_view t) {
  return t.starts_with("application/vnd.oci.image.layer.") ||
         t.starts_with("application/vnd.docker.image.rootfs.");
}
// Compression a layer media type implies (gzip for the foreign/legacy Docker types).
inline Compression LayerCompression(std::string_view t) {
  if (t.ends_with("+zstd") || t.ends_with(".zstd")) return Compression::kZstd;
  if (t.ends_with("+gzip") || t.ends_with(".gzip")) return Compression::kGzip;
  return Compression::kNone;
}
// The OCI layer media type for a compression.
inline std::string_view OciLayerType(Compression c) {
  return c == Compression::kGzip ? kOciLayerGzip : c == Compression::kZstd ? kOciLayerZstd : kOciLayer;
}

}  // namespace kiln::core::media

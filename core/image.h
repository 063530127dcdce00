// The image model every folder shares: descriptors, image config, manifest and index (OCI and
// Docker v2 schema 2 flavours), parsed from and serialised to JSON (nlohmann/json).
// Pulled documents keep their raw bytes elsewhere (digests are of the bytes); these types are for
// reading fields and for writing kiln's own documents. Unknown fields survive a round trip.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/error.h"
#include "core/platform.h"

namespace kiln::core {

using Json = nlohmann::ordered_json;

// Appends `s` as a JSON string literal: the bytes Json(s).dump() gives (so also its refusal of
// invalid UTF-8), without building a Json value for the common printable-ASCII case. For
// documents written as text entry by entry (SBOM files, layer file records).
void AppendJsonString(std::string& out, std::string_view s);

struct Descriptor {
  std::string media_type;
  Digest digest;
  int64_t size = 0;
  std::vector<std::string> urls;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
  std::string artifact_type;

  Json ToJson() const;
  static Result<Descriptor> FromJson(const Json& j);
};

struct HealthConfig {
  std::vector<std::string> test;  // ["NONE"], ["CMD", ...], ["CMD-SHELL", "..."]
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};

// The "config" object inside an image config (what a container starts with).
struct ContainerConfig {
  std::string user;
  std::vector<std::string> exposed_ports;  // "80/tcp"; kept sorted and unique
  std::vector<std::string> env;            // "K=V"
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  std::vector<std::string> volumes;  // kept sorted and unique
  std::string working_dir;
  std::map<std::string, std::string> labels;
  std::string stop_signal;
  // Docker extensions kept in OCI configs by docker/buildkit:
  std::vector<std::string> shell;
  std::optional<HealthConfig> healthcheck;
  std::vector<std::string> on_build;
  bool args_escaped = false;
  Json extra = Json::object();  // unknown keys, preserved
};

struct HistoryEntry {
  std::string created;  // RFC 3339
  std::string created_by;
  std::string author;
  std::string comment;
  bool empty_layer = false;
};

struct ImageConfig {
  std::string created;
  std::string author;
  std::string architecture;
  std::string os;
  std::string os_version;
  std::vector<std::string> os_features;
  std::string variant;
  ContainerConfig config;
  std::vector<Digest> diff_ids;  // rootfs.diff_ids
  std::vector<HistoryEntry> history;
  Json extra = Json::object();  // unknown top-level keys, preserved

  Platform platform() const;
  void set_platform(const Platform& p);

  // Fails with kInvalidInput and a message naming the bad field.
  static Result<ImageConfig> Parse(std::string_view json);
  // Canonical JSON: fixed key order, no whitespace; deterministic for equal values.
  std::string Serialize() const;
};

struct Manifest {
  std::string media_type;  // kOciManifest or kDockerManifest
  Descriptor config;
  std::vector<Descriptor> layers;
  std::map<std::string, std::string> annotations;
  std::optional<Descriptor> subject;
  std::string artifact_type;

  // `media_type_hint` (e.g. a Content-Type) is used when the document has no mediaType field.
  static Result<Manifest> Parse(std::string_view json, std::string_view media_type_hint = "");
  std::string Serialize() const;
};

struct Index {
  std::string media_type;  // kOciIndex or kDockerManifestList
  std::vector<Descriptor> manifests;
  std::map<std::string, std::string> annotations;

  static Result<Index> Parse(std::string_view json, std::string_view media_type_hint = "");
  std::string Serialize() const;
};

// Reads the mediaType of a manifest-or-index document, falling back to its shape
// ("manifests" -> OCI index, "layers" -> OCI manifest). Fails on malformed JSON.
Result<std::string> DetectMediaType(std::string_view json, std::string_view hint = "");

// Current time in RFC 3339 (UTC, seconds) or the time of SOURCE_DATE_EPOCH when given.
std::string Rfc3339(int64_t unix_seconds);

}  // namespace kiln::core

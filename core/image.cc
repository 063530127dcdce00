#include "core/image.h"

#include "core/media_types.h"


#include <algorithm>
#include <chrono>
#include <cstdio>

namespace kiln::core {
namespace {

// nlohmann/json throws; every call that can throw stays in this file behind these helpers.
std::unexpected<Error> Bad(std::string_view what, std::string_view why) {
  return Fail(ErrorCode::kInvalidInput, "malformed " + std::string(what) + ": " + std::string(why));
}

Result<Json> ParseJson(std::string_view text, std::string_view what) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(what, "not valid JSON");
  if (!j.is_object()) return Bad(what, "expected a JSON object");
  return j;
}

Status GetString(const Json& j, const char* key, std::string& out, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return Bad(what, std::string("\"") + key + "\" is not a string");
  out = it->get<std::string>();
  return {};
}

Status GetStrings(const Json& j, const char* key, std::vector<std::string>& out,
                  std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) return Bad(what, std::string("\"") + key + "\" is not an array");
  for (const auto& v : *it) {
    if (!v.is_string()) return Bad(what, std::string("\"") + key + "\" holds a non-string");
    out.push_back(v.get<std::string>());
  }
  return {};
}

Status GetStringMap(const Json& j, const char* key, std::map<std::string, std::string>& out,
                    std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_object()) return Bad(what, std::string("\"") + key + "\" is not an object");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return Bad(what, std::string("\"") + key + "\" holds a non-string");
    out[k] = v.get<std::string>();
  }
  return {};
}

Status GetKeys(const Json& j, const char* key, std::vector<std::string>& out,
               std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_object()) return Bad(what, std::string("\"") + key + "\" is not an object");
  for (const auto& [k, v] : it->items()) out.push_back(k);
  std::sort(out.begin(), out.end());
  return {};
}

Status GetInt(const Json& j, const char* key, int64_t& out, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number_integer()) return Bad(what, std::string("\"") + key + "\" is not an integer");
  out = it->get<int64_t>();
  return {};
}

Json KeySet(const std::vector<std::string>& keys) {
  Json o = Json::object();
  for (const auto& k : keys) o[k] = Json::object();
  return o;
}

Json PlatformJson(const Platform& p) {
  Json j = Json::object();
  j["architecture"] = p.architecture;
  j["os"] = p.os;
  if (!p.os_version.empty()) j["os.version"] = p.os_version;
  if (!p.os_features.empty()) j["os.features"] = p.os_features;
  if (!p.variant.empty()) j["variant"] = p.variant;
  return j;
}

Result<Platform> PlatformFromJson(const Json& j) {
  if (!j.is_object()) return Bad("platform", "not an object");
  Platform p;
  KILN_TRY(GetString(j, "architecture", p.architecture, "platform"));
  KILN_TRY(GetString(j, "os", p.os, "platform"));
  KILN_TRY(GetString(j, "os.version", p.os_version, "platform"));
  KILN_TRY(GetStrings(j, "os.features", p.os_features, "platform"));
  KILN_TRY(GetString(j, "variant", p.variant, "platform"));
  if (auto ok = CheckOsVersion(p.os, p.os_version); !ok)
    return Bad("platform", ok.error().message);
  return p;
}

Json HealthJson(const HealthConfig& h) {
  Json j = Json::object();
  j["Test"] = h.test;
  if (h.interval_ns) j["Interval"] = h.interval_ns;
  if (h.timeout_ns) j["Timeout"] = h.timeout_ns;
  if (h.start_period_ns) j["StartPeriod"] = h.start_period_ns;
  if (h.start_interval_ns) j["StartInterval"] = h.start_interval_ns;
  if (h.retries) j["Retries"] = h.retries;
  return j;
}

Result<HealthConfig> HealthFromJson(const Json& j) {
  if (!j.is_object()) return Bad("image config", "\"Healthcheck\" is not an object");
  HealthConfig h;
  int64_t retries = 0;
  KILN_TRY(GetStrings(j, "Test", h.test, "healthcheck"));
  KILN_TRY(GetInt(j, "Interval", h.interval_ns, "healthcheck"));
  KILN_TRY(GetInt(j, "Timeout", h.timeout_ns, "healthcheck"));
  KILN_TRY(GetInt(j, "StartPeriod", h.start_period_ns, "healthcheck"));
  KILN_TRY(GetInt(j, "StartInterval", h.start_interval_ns, "healthcheck"));
  KILN_TRY(GetInt(j, "Retries", retries, "healthcheck"));
  h.retries = static_cast<int>(retries);
  return h;
}

const char* kContainerKeys[] = {"User",       "ExposedPorts", "Env",         "Entrypoint",
                                "Cmd",        "Volumes",      "WorkingDir",  "Labels",
                                "StopSignal", "ArgsEscaped",  "Healthcheck", "OnBuild",
                                "Shell"};
const char* kConfigKeys[] = {"created", "author",   "architecture", "os",     "os.version",
                             "os.features", "variant", "config", "rootfs", "history"};

template <size_t N>
bool Known(const char* (&keys)[N], const std::string& k) {
  return std::any_of(std::begin(keys), std::end(keys), [&](const char* s) { return k == s; });
}

Result<ContainerConfig> ContainerFromJson(const Json& j) {
  ContainerConfig c;
  const char* what = "image config";
  if (!j.is_object()) return Bad(what, "\"config\" is not an object");
  KILN_TRY(GetString(j, "User", c.user, what));
  KILN_TRY(GetKeys(j, "ExposedPorts", c.exposed_ports, what));
  KILN_TRY(GetStrings(j, "Env", c.env, what));
  for (auto [key, field] : {std::pair{"Entrypoint", &c.entrypoint}, std::pair{"Cmd", &c.cmd}}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) continue;
    std::vector<std::string> v;
    KILN_TRY(GetStrings(j, key, v, what));
    *field = std::move(v);
  }
  KILN_TRY(GetKeys(j, "Volumes", c.volumes, what));
  KILN_TRY(GetString(j, "WorkingDir", c.working_dir, what));
  KILN_TRY(GetStringMap(j, "Labels", c.labels, what));
  KILN_TRY(GetString(j, "StopSignal", c.stop_signal, what));
  KILN_TRY(GetStrings(j, "Shell", c.shell, what));
  KILN_TRY(GetStrings(j, "OnBuild", c.on_build, what));
  if (auto it = j.find("ArgsEscaped"); it != j.end() && it->is_boolean())
    c.args_escaped = it->get<bool>();
  if (auto it = j.find("Healthcheck"); it != j.end() && !it->is_null()) {
    KILN_ASSIGN(c.healthcheck, HealthFromJson(*it));
  }
  for (const auto& [k, v] : j.items())
    if (!Known(kContainerKeys, k)) c.extra[k] = v;
  return c;
}

Json ContainerJson(const ContainerConfig& c) {
  Json j = Json::object();
  if (!c.user.empty()) j["User"] = c.user;
  if (!c.exposed_ports.empty()) j["ExposedPorts"] = KeySet(c.exposed_ports);
  if (!c.env.empty()) j["Env"] = c.env;
  if (c.entrypoint) j["Entrypoint"] = *c.entrypoint;
  if (c.cmd) j["Cmd"] = *c.cmd;
  if (!c.volumes.empty()) j["Volumes"] = KeySet(c.volumes);
  if (!c.working_dir.empty()) j["WorkingDir"] = c.working_dir;
  if (!c.labels.empty()) j["Labels"] = c.labels;
  if (!c.stop_signal.empty()) j["StopSignal"] = c.stop_signal;
  if (c.args_escaped) j["ArgsEscaped"] = true;
  if (c.healthcheck) j["Healthcheck"] = HealthJson(*c.healthcheck);
  if (!c.on_build.empty()) j["OnBuild"] = c.on_build;
  if (!c.shell.empty()) j["Shell"] = c.shell;
  for (const auto& [k, v] : c.extra.items()) j[k] = v;
  return j;
}

Result<std::vector<Descriptor>> DescriptorList(const Json& j, const char* key,
                                               std::string_view what) {
  std::vector<Descriptor> out;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return out;
  if (!it->is_array()) return Bad(what, std::string("\"") + key + "\" is not an array");
  for (const auto& d : *it) {
    KILN_ASSIGN(auto desc, Descriptor::FromJson(d));
    out.push_back(std::move(desc));
  }
  return out;
}

}  // namespace

Json Descriptor::ToJson() const {
  Json j = Json::object();
  j["mediaType"] = media_type;
  if (!artifact_type.empty()) j["artifactType"] = artifact_type;
  j["digest"] = digest.ToString();
  j["size"] = size;
  if (!urls.empty()) j["urls"] = urls;
  if (!annotations.empty()) j["annotations"] = annotations;
  if (platform) j["platform"] = PlatformJson(*platform);
  return j;
}

Result<Descriptor> Descriptor::FromJson(const Json& j) {
  const char* what = "descriptor";
  if (!j.is_object()) return Bad(what, "not an object");
  Descriptor d;
  std::string digest;
  KILN_TRY(GetString(j, "mediaType", d.media_type, what));
  KILN_TRY(GetString(j, "artifactType", d.artifact_type, what));
  KILN_TRY(GetString(j, "digest", digest, what));
  auto parsed = Digest::Parse(digest);
  if (!parsed) return Fail(parsed.error().Wrap("malformed descriptor"));
  d.digest = *parsed;
  KILN_TRY(GetInt(j, "size", d.size, what));
  if (d.size < 0) return Bad(what, "negative size");
  KILN_TRY(GetStrings(j, "urls", d.urls, what));
  KILN_TRY(GetStringMap(j, "annotations", d.annotations, what));
  if (auto it = j.find("platform"); it != j.end() && !it->is_null()) {
    KILN_ASSIGN(d.platform, PlatformFromJson(*it));
  }
  return d;
}

Platform ImageConfig::platform() const {
  return Platform{os, architecture, variant, os_version, os_features};
}

void ImageConfig::set_platform(const Platform& p) {
  os = p.os;
  architecture = p.architecture;
  variant = p.variant;
  os_version = p.os_version;
  os_features = p.os_features;
}

Result<ImageConfig> ImageConfig::Parse(std::string_view text) {
  const char* what = "image config";
  KILN_ASSIGN(Json j, ParseJson(text, what));
  ImageConfig c;
  KILN_TRY(GetString(j, "created", c.created, what));
  KILN_TRY(GetString(j, "author", c.author, what));
  KILN_TRY(GetString(j, "architecture", c.architecture, what));
  KILN_TRY(GetString(j, "os", c.os, what));
  KILN_TRY(GetString(j, "os.version", c.os_version, what));
  KILN_TRY(GetStrings(j, "os.features", c.os_features, what));
  KILN_TRY(GetString(j, "variant", c.variant, what));
  if (auto ok = CheckOsVersion(c.os, c.os_version); !ok) return Bad(what, ok.error().message);
  if (auto it = j.find("config"); it != j.end() && !it->is_null()) {
    KILN_ASSIGN(c.config, ContainerFromJson(*it));
  }
  if (auto it = j.find("rootfs"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return Bad(what, "\"rootfs\" is not an object");
    std::vector<std::string> ids;
    KILN_TRY(GetStrings(*it, "diff_ids", ids, what));
    for (const auto& id : ids) {
      auto d = Digest::Parse(id);
      if (!d) return Fail(d.error().Wrap("malformed image config: rootfs.diff_ids"));
      c.diff_ids.push_back(*d);
    }
  }
  if (auto it = j.find("history"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return Bad(what, "\"history\" is not an array");
    for (const auto& h : *it) {
      if (!h.is_object()) return Bad(what, "a history entry is not an object");
      HistoryEntry e;
      KILN_TRY(GetString(h, "created", e.created, what));
      KILN_TRY(GetString(h, "created_by", e.created_by, what));
      KILN_TRY(GetString(h, "author", e.author, what));
      KILN_TRY(GetString(h, "comment", e.comment, what));
      if (auto el = h.find("empty_layer"); el != h.end() && el->is_boolean())
        e.empty_layer = el->get<bool>();
      c.history.push_back(std::move(e));
    }
  }
  for (const auto& [k, v] : j.items())
    if (!Known(kConfigKeys, k)) c.extra[k] = v;
  return c;
}

std::string ImageConfig::Serialize() const {
  Json j = Json::object();
  if (!created.empty()) j["created"] = created;
  if (!author.empty()) j["author"] = author;
  j["architecture"] = architecture;
  j["os"] = os;
  if (!os_version.empty()) j["os.version"] = os_version;
  if (!os_features.empty()) j["os.features"] = os_features;
  if (!variant.empty()) j["variant"] = variant;
  j["config"] = ContainerJson(config);
  Json ids = Json::array();
  for (const auto& d : diff_ids) ids.push_back(d.ToString());
  j["rootfs"] = Json{{"type", "layers"}, {"diff_ids", ids}};
  if (!history.empty()) {
    Json hs = Json::array();
    for (const auto& e : history) {
      Json h = Json::object();
      if (!e.created.empty()) h["created"] = e.created;
      if (!e.created_by.empty()) h["created_by"] = e.created_by;
      if (!e.author.empty()) h["author"] = e.author;
      if (!e.comment.empty()) h["comment"] = e.comment;
      if (e.empty_layer) h["empty_layer"] = true;
      hs.push_back(std::move(h));
    }
    j["history"] = std::move(hs);
  }
  for (const auto& [k, v] : extra.items()) j[k] = v;
  return j.dump();
}

Result<Manifest> Manifest::Parse(std::string_view text, std::string_view hint) {
  const char* what = "manifest";
  KILN_ASSIGN(Json j, ParseJson(text, what));
  Manifest m;
  KILN_TRY(GetString(j, "mediaType", m.media_type, what));
  if (m.media_type.empty()) m.media_type = hint.empty() ? std::string(media::kOciManifest) : std::string(hint);
  if (!media::IsManifest(m.media_type))
    return Bad(what, "unexpected media type \"" + m.media_type + "\"");
  int64_t schema = 0;
  KILN_TRY(GetInt(j, "schemaVersion", schema, what));
  if (schema != 2) return Bad(what, "schemaVersion must be 2");
  auto cfg = j.find("config");
  if (cfg == j.end()) return Bad(what, "no \"config\"");
  KILN_ASSIGN(m.config, Descriptor::FromJson(*cfg));
  KILN_ASSIGN(m.layers, DescriptorList(j, "layers", what));
  KILN_TRY(GetStringMap(j, "annotations", m.annotations, what));
  KILN_TRY(GetString(j, "artifactType", m.artifact_type, what));
  if (auto it = j.find("subject"); it != j.end() && !it->is_null()) {
    KILN_ASSIGN(m.subject, Descriptor::FromJson(*it));
  }
  return m;
}

std::string Manifest::Serialize() const {
  Json j = Json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = media_type;
  if (!artifact_type.empty()) j["artifactType"] = artifact_type;
  j["config"] = config.ToJson();
  Json ls = Json::array();
  for (const auto& l : layers) ls.push_back(l.ToJson());
  j["layers"] = std::move(ls);
  if (subject) j["subject"] = subject->ToJson();
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump();
}

Result<Index> Index::Parse(std::string_view text, std::string_view hint) {
  const char* what = "image index";
  KILN_ASSIGN(Json j, ParseJson(text, what));
  Index x;
  KILN_TRY(GetString(j, "mediaType", x.media_type, what));
  if (x.media_type.empty()) x.media_type = hint.empty() ? std::string(media::kOciIndex) : std::string(hint);
  if (!media::IsIndex(x.media_type))
    return Bad(what, "unexpected media type \"" + x.media_type + "\"");
  KILN_ASSIGN(x.manifests, DescriptorList(j, "manifests", what));
  KILN_TRY(GetStringMap(j, "annotations", x.annotations, what));
  return x;
}

std::string Index::Serialize() const {
  Json j = Json::object();
  j["schemaVersion"] = 2;
  j["mediaType"] = media_type;
  Json ms = Json::array();
  for (const auto& m : manifests) ms.push_back(m.ToJson());
  j["manifests"] = std::move(ms);
  if (!annotations.empty()) j["annotations"] = annotations;
  return j.dump();
}

Result<std::string> DetectMediaType(std::string_view text, std::string_view hint) {
  KILN_ASSIGN(Json j, ParseJson(text, "manifest"));
  std::string t;
  KILN_TRY(GetString(j, "mediaType", t, "manifest"));
  if (!t.empty()) return t;
  if (!hint.empty() && (media::IsIndex(hint) || media::IsManifest(hint))) return std::string(hint);
  if (j.contains("manifests")) return std::string(media::kOciIndex);
  if (j.contains("layers") || j.contains("config")) return std::string(media::kOciManifest);
  return Bad("manifest", "neither a manifest nor an index");
}

std::string Rfc3339(int64_t unix_seconds) {
  using namespace std::chrono;
  sys_seconds t{seconds{unix_seconds}};
  auto day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

void AppendJsonString(std::string& out, std::string_view s) {
  bool plain = std::all_of(s.begin(), s.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!plain) {
    out += Json(std::string(s)).dump();  // escapes, non-ASCII: nlohmann's own rules
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

}  // namespace kiln::core

#include "builder/attestation.h"

#include <chrono>

#include "builder/provenance.h"
#include "builder/sbom.h"
#include "core/media_types.h"
#include "layers/local_image.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;
using core::Fail;
using core::Json;

std::vector<std::string> SplitComma(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = s.find(',', start);
    out.emplace_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

std::optional<bool> Bool(std::string_view v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

std::string SubjectName(const BuildOptions& o, const core::Platform& p) {
  std::string platform = p.os + "%2F" + p.architecture;
  if (!p.variant.empty()) platform += "%2F" + p.variant;
  if (o.tags.empty()) return "_";
  return "pkg:docker/" + o.tags.front() + "?platform=" + platform;
}

core::Result<std::string> SbomStatement(BuildSession& session, const ImageState& state,
                                        const BuiltImage& image, const std::string& subject) {
  const BuildOptions& o = session.options();
  KILN_ASSIGN(layers::LocalImage stored, layers::LoadImage(session.store(), image.manifest));
  SbomInputs in;
  in.image_name = o.tags.empty() ? "kiln-build" : o.tags.front();
  in.manifest = image.manifest;
  in.windows = stored.config.os == "windows";
  for (size_t i = 0; i < stored.manifest.layers.size() && i < stored.config.diff_ids.size(); ++i) {
    if (i < image.layers.size() && image.layers[i].base) continue;
    KILN_ASSIGN(auto files, session.layer_files().Get(stored.config.diff_ids[i],
                                                      stored.manifest.layers[i].digest));
    in.added.push_back(std::move(files));
  }
  in.base_name = state.base_manifest.digest.empty() ? "" : state.base_name;
  in.base_manifest = state.base_manifest;
  in.created = core::Rfc3339(session.created_time());
  in.tool_version = o.attest.tool_version;
  return StatementText(subject, image.manifest.digest, kSpdxDocument, Sbom(in));
}

}  // namespace

core::Status ParseProvenanceFlag(std::string_view value, AttestationOptions& out) {
  auto bad = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidInput, "--provenance " + std::string(value) + ": " + std::string(why) +
                                              " (use true, false, min, max or mode=min|max,version=v1|v0.2)");
  };
  if (auto b = Bool(value)) {
    out.provenance = *b ? ProvenanceMode::kMin : ProvenanceMode::kOff;
    return {};
  }
  if (value == "min" || value == "max") {
    out.provenance = value == "min" ? ProvenanceMode::kMin : ProvenanceMode::kMax;
    return {};
  }
  out.provenance = ProvenanceMode::kMin;
  for (const auto& part : SplitComma(value)) {
    auto eq = part.find('=');
    if (eq == std::string::npos) return bad("\"" + part + "\" is not key=value");
    std::string key = part.substr(0, eq), v = part.substr(eq + 1);
    if (key == "mode") {
      if (v == "min") out.provenance = ProvenanceMode::kMin;
      else if (v == "max") out.provenance = ProvenanceMode::kMax;
      else if (auto b = Bool(v)) out.provenance = *b ? ProvenanceMode::kMin : ProvenanceMode::kOff;
      else return bad("unknown mode \"" + v + "\"");
    } else if (key == "version") {
      if (v != "v1" && v != "v0.2") return bad("unknown version \"" + v + "\"");
      out.slsa_version = v;
    } else if (key == "disabled") {
      auto b = Bool(v);
      if (!b) return bad("disabled takes true or false");
      if (*b) out.provenance = ProvenanceMode::kOff;
    } else {
      return bad("unknown key \"" + key + "\"");
    }
  }
  return {};
}

core::Status ParseSbomFlag(std::string_view value, AttestationOptions& out) {
  if (auto b = Bool(value)) {
    out.sbom = *b;
    return {};
  }
  out.sbom = true;
  for (const auto& part : SplitComma(value)) {
    auto eq = part.find('=');
    std::string key = part.substr(0, eq), v = eq == std::string::npos ? "" : part.substr(eq + 1);
    auto b = Bool(v);
    if ((key == "enabled" || key == "disabled") && b) {
      out.sbom = key == "enabled" ? *b : !*b;
    } else if (key == "generator") {
      return Fail(ErrorCode::kUnsupported, "--sbom generator=: kiln writes the SBOM from the files it "
                                           "adds and runs no scanner image; use --sbom=true");
    } else {
      return Fail(ErrorCode::kInvalidInput, "--sbom " + std::string(value) + ": use true or false");
    }
  }
  return {};
}

ProvenanceMode EffectiveProvenance(const BuildOptions& o) {
  if (o.attest.provenance) return *o.attest.provenance;
  bool distributes = o.push;
  for (const auto& out : o.outputs)
    if (out.type == OutputSpec::Type::kRegistry || out.type == OutputSpec::Type::kOci) distributes = true;
  return distributes ? ProvenanceMode::kMin : ProvenanceMode::kOff;
}

bool IsAttestationManifest(const core::Descriptor& d) {
  auto it = d.annotations.find(std::string(kReferenceTypeAnnotation));
  return it != d.annotations.end() && it->second == kAttestationManifestType;
}

std::string Statement(std::string_view subject_name, const core::Digest& subject,
                      std::string_view predicate_type, const core::Json& predicate) {
  return StatementText(subject_name, subject, predicate_type, predicate.dump());
}

std::string StatementText(std::string_view subject_name, const core::Digest& subject,
                          std::string_view predicate_type, std::string_view predicate_json) {
  // The head as a JSON object (its key order is the statement's), the predicate appended as
  // the last member: what dump() gives for the whole object.
  Json s = Json::object();
  s["_type"] = kInTotoStatementV1;
  s["subject"] = Json::array({{{"name", subject_name}, {"digest", {{subject.algorithm(), subject.hex()}}}}});
  s["predicateType"] = predicate_type;
  std::string out = s.dump();
  out.pop_back();  // the closing brace
  out.reserve(out.size() + predicate_json.size() + 16);
  out += ",\"predicate\":";
  out += predicate_json;
  out += '}';
  return out;
}

core::Result<core::Descriptor> PutAttestationManifest(layers::BlobStore& store,
                                                      const core::Digest& subject,
                                                      const std::vector<StatementBlob>& statements) {
  core::Manifest m;
  m.media_type = std::string(core::media::kOciManifest);
  Json diff_ids = Json::array();
  for (const auto& s : statements) {
    KILN_ASSIGN(core::Descriptor layer, layers::PutBlob(store, s.json, kInTotoMediaType));
    if (!s.predicate_type.empty())
      layer.annotations[std::string(kPredicateTypeAnnotation)] = s.predicate_type;
    diff_ids.push_back(layer.digest.ToString());
    m.layers.push_back(std::move(layer));
  }
  // The config is there for registries and tools that expect one; it says nothing (BuildKit's
  // attestation manifests carry the same unknown/unknown image config).
  Json config = {{"architecture", "unknown"}, {"os", "unknown"}, {"config", Json::object()},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  KILN_ASSIGN(m.config, layers::PutBlob(store, config.dump(), core::media::kOciConfig));
  KILN_ASSIGN(core::Descriptor d, layers::PutBlob(store, m.Serialize(), m.media_type));
  d.annotations[std::string(kReferenceTypeAnnotation)] = std::string(kAttestationManifestType);
  d.annotations[std::string(kReferenceDigestAnnotation)] = subject.ToString();
  core::Platform unknown;
  unknown.os = "unknown";
  unknown.architecture = "unknown";
  d.platform = unknown;
  return d;
}

core::Result<std::vector<std::string>> ReadStatements(layers::BlobStore& store,
                                                      const core::Descriptor& manifest) {
  KILN_ASSIGN(std::string bytes, layers::ReadBlob(store, manifest.digest));
  KILN_ASSIGN(core::Manifest m, core::Manifest::Parse(bytes, manifest.media_type));
  std::vector<std::string> out;
  for (const auto& l : m.layers) {
    if (l.media_type != kInTotoMediaType) continue;  // unknown types are ignored (the spec)
    KILN_ASSIGN(std::string s, layers::ReadBlob(store, l.digest, size_t{256} << 20));
    out.push_back(std::move(s));
  }
  return out;
}

core::Result<core::Descriptor> ResubjectAttestation(layers::BlobStore& store,
                                                    const core::Descriptor& att,
                                                    const core::Digest& subject) {
  KILN_ASSIGN(auto texts, ReadStatements(store, att));
  std::vector<StatementBlob> statements;
  for (auto& text : texts) {
    Json j = Json::parse(text, nullptr, false);
    if (!j.is_object() || !j.contains("subject") || !j["subject"].is_array())
      return Fail(ErrorCode::kInvalidInput, "attestation " + att.digest.ToString() + " has a malformed statement");
    for (auto& sub : j["subject"]) sub["digest"] = {{subject.algorithm(), subject.hex()}};
    std::string type = j.contains("predicateType") && j["predicateType"].is_string()
                           ? j["predicateType"].get<std::string>() : "";
    statements.push_back({std::move(type), j.dump()});
  }
  return PutAttestationManifest(store, subject, statements);
}

core::Result<core::Descriptor> AttachAttestations(
    BuildSession& session, const std::vector<std::pair<core::Platform, ImageState>>& built,
    const BuildResult& result, const AttestationInputs& inputs) {
  const BuildOptions& o = session.options();
  ProvenanceMode mode = EffectiveProvenance(o);
  ProvenanceInputs prov;
  BuildOptions effective = o;  // the mode after the default rule, for the predicate
  effective.attest.provenance = mode;
  prov.options = &effective;
  prov.dockerfile = &session.dockerfile();
  prov.dockerfile_name = inputs.dockerfile_name;
  prov.dockerfile_digest = inputs.dockerfile_digest;
  prov.bases = session.images().Resolved();
  prov.started = session.created_time();
  prov.finished = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
  std::vector<core::Descriptor> index;
  std::vector<core::Descriptor> attestations;
  for (size_t i = 0; i < result.images.size(); ++i) {
    const BuiltImage& image = result.images[i];
    core::Descriptor m = image.manifest;
    m.platform = image.platform;
    index.push_back(m);
    std::string subject = SubjectName(o, image.platform);
    std::vector<StatementBlob> statements;
    // The SBOM first: the context digest provenance names may still be computed meanwhile.
    std::string sbom;
    if (o.attest.sbom) {
      KILN_ASSIGN(sbom, SbomStatement(session, built[i].second, image, subject));
    }
    if (mode != ProvenanceMode::kOff) {
      if (i == 0 && inputs.context_digest) prov.context_digest = inputs.context_digest();
      std::string_view type = o.attest.slsa_version == "v0.2" ? kSlsaV02 : kSlsaV1;
      statements.push_back({std::string(type), Statement(subject, image.manifest.digest, type,
                                                         Provenance(prov, image.platform))});
    }
    if (o.attest.sbom) statements.push_back({std::string(kSpdxDocument), std::move(sbom)});
    KILN_ASSIGN(core::Descriptor att,
                PutAttestationManifest(session.store(), image.manifest.digest, statements));
    attestations.push_back(std::move(att));
  }
  index.insert(index.end(), attestations.begin(), attestations.end());
  return layers::PutIndex(session.store(), index);
}

}  // namespace kiln::builder

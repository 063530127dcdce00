#include "builder/provenance.h"

#include <set>
#include <utility>
#include <variant>

namespace kiln::builder {
namespace {

using core::Json;

// "pkg:docker/<name>?platform=<os%2Farch>" (the purl form buildx uses for images).
std::string ImageUri(const std::string& name, const core::Platform& p) {
  std::string platform = p.os + "%2F" + p.architecture;
  if (!p.variant.empty()) platform += "%2F" + p.variant;
  return "pkg:docker/" + name + "?platform=" + platform;
}

Json DigestJson(const core::Digest& d) { return Json{{d.algorithm(), d.hex()}}; }

bool SamePlatform(const core::Platform& a, const core::Platform& b) {
  return a.os == b.os && a.architecture == b.architecture &&
         (a.os_version.empty() || b.os_version.empty() || a.os_version == b.os_version);
}

struct Material {
  std::string uri;
  std::string name;
  core::Digest digest;
};

std::vector<Material> Materials(const ProvenanceInputs& in, const core::Platform& platform) {
  std::vector<Material> out;
  // An image is resolved once per way of asking (with and without a platform): list it once.
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& b : in.bases)
    if (SamePlatform(b.config.platform(), platform) &&
        seen.insert({b.name, b.manifest_desc.digest.ToString()}).second)
      out.push_back({ImageUri(b.name, b.config.platform()), b.name, b.manifest_desc.digest});
  if (!in.context_digest.empty()) out.push_back({"urn:kiln:context", "context", in.context_digest});
  out.push_back({"urn:kiln:dockerfile", in.dockerfile_name, in.dockerfile_digest});
  return out;
}

Json ExternalParameters(const ProvenanceInputs& in, const core::Platform& platform) {
  const BuildOptions& o = *in.options;
  Json p = Json::object();
  p["configSource"] = {{"path", in.dockerfile_name}, {"digest", DigestJson(in.dockerfile_digest)}};
  p["platform"] = platform.ToString();
  if (!o.target.empty()) p["target"] = o.target;
  Json args = Json::object();
  for (const auto& [k, v] : o.build_args) args[k] = v;
  p["buildArgs"] = std::move(args);
  if (!o.labels.empty()) p["labels"] = o.labels;
  Json contexts = Json::object();
  for (const auto& c : o.contexts) contexts[c.name] = c.value;
  if (!contexts.empty()) p["contexts"] = std::move(contexts);
  // Secret ids only: never their values, files or variable names.
  Json secrets = Json::array();
  for (const auto& s : o.secrets) secrets.push_back(s.id);
  if (!secrets.empty()) p["secrets"] = std::move(secrets);
  return p;
}

Json InternalParameters(const ProvenanceInputs& in) {
  const BuildOptions& o = *in.options;
  Json p = Json::object();
  p["compression"] = o.compression;
  if (o.source_date_epoch) p["sourceDateEpoch"] = *o.source_date_epoch;
  p["noCache"] = o.no_cache;
  return p;
}

// max mode: every instruction of the Dockerfile with its stage and line.
Json Steps(const ProvenanceInputs& in) {
  Json steps = Json::array();
  const auto& stages = in.dockerfile->stages;
  for (size_t s = 0; s < stages.size(); ++s) {
    std::string stage = stages[s].name.empty() ? std::to_string(s) : stages[s].name;
    steps.push_back({{"stage", stage}, {"line", stages[s].from.range.start.line},
                     {"instruction", stages[s].from.original}});
    for (const auto& i : stages[s].instructions) {
      const parser::InstructionBase& base =
          std::visit([](const auto& v) -> const parser::InstructionBase& { return v; }, i);
      steps.push_back({{"stage", stage}, {"line", base.range.start.line}, {"instruction", base.original}});
    }
  }
  return steps;
}

Json V1(const ProvenanceInputs& in, const core::Platform& platform) {
  const BuildOptions& o = *in.options;
  bool max = o.attest.provenance == ProvenanceMode::kMax;
  Json deps = Json::array();
  for (const auto& m : Materials(in, platform))
    deps.push_back({{"uri", m.uri}, {"name", m.name}, {"digest", DigestJson(m.digest)}});
  Json internal = InternalParameters(in);
  if (max) internal["buildConfig"] = {{"steps", Steps(in)}};
  Json def = {{"buildType", kBuildType},
              {"externalParameters", ExternalParameters(in, platform)},
              {"internalParameters", std::move(internal)},
              {"resolvedDependencies", std::move(deps)}};
  Json run = {{"builder", {{"id", kBuilderId}, {"version", {{"kiln", o.attest.tool_version}}}}}};
  if (!o.source_date_epoch)
    run["metadata"] = {{"startedOn", core::Rfc3339(in.started)},
                       {"finishedOn", core::Rfc3339(in.finished)}};
  return {{"buildDefinition", std::move(def)}, {"runDetails", std::move(run)}};
}

Json V02(const ProvenanceInputs& in, const core::Platform& platform) {
  const BuildOptions& o = *in.options;
  bool max = o.attest.provenance == ProvenanceMode::kMax;
  Json materials = Json::array();
  for (const auto& m : Materials(in, platform))
    materials.push_back({{"uri", m.uri}, {"digest", DigestJson(m.digest)}});
  Json params = ExternalParameters(in, platform);
  params.erase("configSource");
  Json p = {{"builder", {{"id", kBuilderId}}},
            {"buildType", kBuildType},
            {"invocation",
             {{"configSource",
               {{"uri", "urn:kiln:dockerfile"},
                {"digest", DigestJson(in.dockerfile_digest)},
                {"entryPoint", in.dockerfile_name}}},
              {"parameters", std::move(params)},
              {"environment", {{"platform", core::Platform::HostLinux().ToString()}}}}}};
  if (max) p["buildConfig"] = {{"steps", Steps(in)}};
  Json meta = Json::object();
  if (!o.source_date_epoch) {
    meta["buildStartedOn"] = core::Rfc3339(in.started);
    meta["buildFinishedOn"] = core::Rfc3339(in.finished);
  }
  meta["completeness"] = {{"parameters", true}, {"environment", false}, {"materials", false}};
  meta["reproducible"] = false;
  p["metadata"] = std::move(meta);
  p["materials"] = std::move(materials);
  return p;
}

}  // namespace

core::Json Provenance(const ProvenanceInputs& in, const core::Platform& platform) {
  return in.options->attest.slsa_version == "v0.2" ? V02(in, platform) : V1(in, platform);
}

}  // namespace kiln::builder

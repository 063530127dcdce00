// kiln build: Dockerfile + context -> image (docker/buildx-compatible flags).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>

#include "builder/attestation.h"
#include "builder/builder.h"
#include "cli/command.h"
#include "cli/progress_renderer.h"
#include "cli/registry_flags.h"
#include "core/reference.h"
#include "layers/windows_layer.h"
#include "layers/image_inspect.h"

namespace kiln::cli {
namespace {

using core::ErrorCode;

struct BuildFlags {
  std::vector<std::string> tags, build_args, platforms, outputs, contexts, secrets, labels;
  std::vector<std::string> cache_from, cache_to;
  std::string file, target, iidfile, metadata_file, compression = "gzip", context = ".";
  std::string windows_acl = "users";
  std::string provenance, sbom;  // --provenance / --sbom values ("" = not given)
  std::vector<std::string> attest;  // --attest type=provenance|sbom,...
  std::string isolation = "auto";
  uint64_t hyperv_memory = 1024;
  uint32_t hyperv_cpus = 2;
  bool no_cache = false, pull = false, push = false, print_graph = false, minimize = false;
  int level = -1, timeout = 0;
};

core::Result<std::pair<std::string, std::string>> KeyValue(const std::string& s, std::string_view what) {
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0)
    return core::Fail(ErrorCode::kInvalidInput, std::string(what) + " \"" + s + "\": expected NAME=VALUE");
  return std::pair{s.substr(0, eq), s.substr(eq + 1)};
}

// "k=v,k=v" attributes of --output / --secret.
core::Result<std::map<std::string, std::string>> Attributes(const std::string& s, std::string_view what) {
  std::map<std::string, std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    std::string part = s.substr(i, j - i);
    if (!part.empty()) {
      KILN_ASSIGN(auto kv, KeyValue(part, what));
      out[kv.first] = kv.second;
    }
    i = j + 1;
  }
  return out;
}

core::Result<builder::OutputSpec> ParseOutput(const std::string& s) {
  builder::OutputSpec out;
  if (s.find('=') == std::string::npos) {  // "-o DIR" shorthand: an OCI layout directory
    out.dest = s;
    return out;
  }
  KILN_ASSIGN(out.attrs, Attributes(s, "--output"));
  std::string type = out.attrs.count("type") ? out.attrs["type"] : "oci";
  if (type == "oci") out.type = builder::OutputSpec::Type::kOci;
  else if (type == "docker") out.type = builder::OutputSpec::Type::kDocker;
  else if (type == "registry" || type == "image") out.type = builder::OutputSpec::Type::kRegistry;
  else
    return core::Fail(ErrorCode::kInvalidInput, "--output type=" + type +
                                                    " is not supported (use oci, docker or registry)");
  out.dest = out.attrs.count("dest") ? out.attrs["dest"] : "";
  if (out.type != builder::OutputSpec::Type::kRegistry && out.dest.empty())
    return core::Fail(ErrorCode::kInvalidInput, "--output type=" + type + " needs dest=PATH");
  if (auto it = out.attrs.find("name"); it != out.attrs.end()) {
    size_t i = 0;
    while (i <= it->second.size()) {
      size_t j = it->second.find(',', i);
      if (j == std::string::npos) j = it->second.size();
      if (j > i) out.names.push_back(it->second.substr(i, j - i));
      i = j + 1;
    }
  }
  return out;
}

// --cache-to / --cache-from in buildx's spellings (docs/cache.md). `to`: --cache-to.
core::Result<builder::CacheSpec> ParseCache(const std::string& s, bool to) {
  const char* flag = to ? "--cache-to" : "--cache-from";
  builder::CacheSpec c;
  c.text = s;
  if (s.find('=') == std::string::npos) {  // "--cache-from REF": type=registry,ref=REF
    if (to) return core::Fail(ErrorCode::kInvalidInput, std::string(flag) + " " + s + ": expected type=...,KEY=VALUE");
    c.ref = s;
    auto ref = core::Reference::Parse(s);
    if (!ref) return core::Fail(ref.error().Wrap(std::string(flag) + " " + s));
    return c;
  }
  KILN_ASSIGN(auto attrs, Attributes(s, flag));
  std::string type = attrs.count("type") ? attrs["type"] : "registry";
  if (type == "registry") c.type = builder::CacheSpec::Type::kRegistry;
  else if (type == "local") c.type = builder::CacheSpec::Type::kLocal;
  else if (type == "inline") c.type = builder::CacheSpec::Type::kInline;
  else
    return core::Fail(ErrorCode::kUnsupported, std::string(flag) + " type=" + type +
                                                   " is not supported (use registry, local or inline)");
  if (c.type == builder::CacheSpec::Type::kInline && !to)
    return core::Fail(ErrorCode::kInvalidInput, "--cache-from type=inline: name the image instead (--cache-from REF)");
  for (const auto& [k, v] : attrs) {
    if (k == "type") continue;
    else if (k == "ref") c.ref = v;
    else if (k == "dest" && to) c.dir = v;
    else if (k == "src" && !to) c.dir = v;
    else if (k == "tag") c.tag = v;
    else if (k == "mode" && to) {
      if (v != "min" && v != "max")
        return core::Fail(ErrorCode::kInvalidInput, std::string(flag) + " mode=" + v + ": use min or max");
      c.max = v == "max";
    } else if (k == "compression" && to) {
      if (v != "gzip" && v != "zstd" && v != "uncompressed" && v != "estargz")
        return core::Fail(ErrorCode::kInvalidInput, std::string(flag) + " compression=" + v + ": use gzip, zstd or uncompressed");
      c.compression = v;
    } else if (k == "ignore-error") {
      c.ignore_error = v == "true" || v == "1";
    } else if (k == "compression-level" || k == "force-compression" || k == "oci-mediatypes" ||
               k == "image-manifest" || k == "digest") {
      // buildx spellings with nothing to choose in kiln: caches are always OCI image manifests.
    } else {
      return core::Fail(ErrorCode::kInvalidInput, std::string(flag) + " " + s + ": unknown key \"" + k + "\"");
    }
  }
  if (c.type == builder::CacheSpec::Type::kInline && c.max)
    return core::Fail(ErrorCode::kInvalidInput, "--cache-to type=inline supports mode=min only (use type=registry for mode=max)");
  if (c.type == builder::CacheSpec::Type::kRegistry) {
    if (c.ref.empty()) return core::Fail(ErrorCode::kInvalidInput, std::string(flag) + " " + s + ": needs ref=REGISTRY/REPO:TAG");
    auto ref = core::Reference::Parse(c.ref);
    if (!ref) return core::Fail(ref.error().Wrap(std::string(flag) + " ref=" + c.ref));
  }
  if (c.type == builder::CacheSpec::Type::kLocal && c.dir.empty())
    return core::Fail(ErrorCode::kInvalidInput, std::string(flag) + " type=local needs " + (to ? "dest=DIR" : "src=DIR"));
  return c;
}

core::Result<builder::ContextOverride> ParseContext(const std::string& s) {
  KILN_ASSIGN(auto kv, KeyValue(s, "--build-context"));
  builder::ContextOverride c;
  c.name = kv.first;
  if (kv.second.starts_with("oci-layout://")) {
    c.kind = builder::ContextOverride::Kind::kOciLayout;
    c.value = kv.second.substr(13);
  } else if (kv.second.starts_with("docker-image://")) {
    c.kind = builder::ContextOverride::Kind::kDockerImage;
    c.value = kv.second.substr(15);
  } else if (kv.second.find("://") != std::string::npos) {
    return core::Fail(ErrorCode::kUnsupported, "--build-context " + s +
                                                   ": use oci-layout://, docker-image:// or a directory");
  } else {
    c.kind = builder::ContextOverride::Kind::kLocalDir;
    c.value = kv.second;
  }
  return c;
}

core::Result<builder::BuildOptions> MakeOptions(const BuildFlags& f, const Globals& g) {
  builder::BuildOptions o;
  o.context_dir = f.context;
  o.dockerfile = f.file;
  o.tags = f.tags;
  for (const auto& t : f.tags) {
    auto ref = core::Reference::Parse(t);
    if (!ref) return core::Fail(ref.error().Wrap("-t " + t));
  }
  for (const auto& a : f.build_args) {
    auto eq = a.find('=');
    if (eq == std::string::npos) {  // docker: --build-arg NAME takes NAME from the environment
      if (const char* v = std::getenv(a.c_str())) o.build_args.emplace_back(a, v);
      continue;
    }
    o.build_args.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  for (const auto& p : f.platforms) {
    KILN_ASSIGN(auto list, core::Platform::ParseList(p));
    o.platforms.insert(o.platforms.end(), list.begin(), list.end());
  }
  for (const auto& s : f.outputs) {
    KILN_ASSIGN(auto out, ParseOutput(s));
    o.outputs.push_back(std::move(out));
  }
  for (const auto& s : f.cache_from) {
    KILN_ASSIGN(auto c, ParseCache(s, false));
    o.cache_from.push_back(std::move(c));
  }
  for (const auto& s : f.cache_to) {
    KILN_ASSIGN(auto c, ParseCache(s, true));
    if (c.type == builder::CacheSpec::Type::kInline && !f.push &&
        std::none_of(o.outputs.begin(), o.outputs.end(), [](const builder::OutputSpec& out) {
          return out.type == builder::OutputSpec::Type::kRegistry;
        }))
      std::cerr << "warning: --cache-to type=inline: the cache travels in the image's config; "
                   "it is of use once the image is pushed (--push)\n";
    o.cache_to.push_back(std::move(c));
  }
  for (const auto& s : f.contexts) {
    KILN_ASSIGN(auto c, ParseContext(s));
    o.contexts.push_back(std::move(c));
  }
  for (const auto& s : f.secrets) {
    KILN_ASSIGN(auto attrs, Attributes(s, "--secret"));
    builder::SecretSpec secret{attrs["id"], attrs.count("src") ? attrs["src"] : attrs["source"],
                               attrs["env"]};
    if (secret.id.empty()) return core::Fail(ErrorCode::kInvalidInput, "--secret " + s + ": needs id=");
    if (!secret.env.empty() && secret.src.empty()) {
      // Secrets from the environment are staged by the builder; kept as env here.
    }
    o.secrets.push_back(std::move(secret));
  }
  for (const auto& l : f.labels) {
    KILN_ASSIGN(auto kv, KeyValue(l, "--label"));
    o.labels[kv.first] = kv.second;
  }
  o.target = f.target;
  o.no_cache = f.no_cache;
  o.pull = f.pull;
  o.push = f.push;
  o.print_graph = f.print_graph;
  o.minimize = f.minimize;
  o.iidfile = f.iidfile;
  o.metadata_file = f.metadata_file;
  o.compression = f.compression;
  o.compression_level = f.level;
  o.step_timeout_seconds = f.timeout;
  KILN_ASSIGN(o.windows_acl, layers::windows::ParseAcl(f.windows_acl));
  KILN_ASSIGN(o.isolation, builder::ParseIsolation(f.isolation));
  o.utility_vm.memory_mb = f.hyperv_memory;
  o.utility_vm.processors = f.hyperv_cpus;
  o.store_root = StoreRoot(g);
  o.registry = ClientOptionsFor(g);
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
    try {
      o.source_date_epoch = std::stoll(epoch);
    } catch (...) {
      return core::Fail(ErrorCode::kInvalidInput, "SOURCE_DATE_EPOCH=" + std::string(epoch) + " is not a number");
    }
  }
  for (const auto& [k, v] : o.build_args)
    if (k == "SOURCE_DATE_EPOCH" && !o.source_date_epoch) o.source_date_epoch = std::stoll(v);
  o.attest.tool_version = KILN_VERSION;
  if (!f.provenance.empty()) KILN_TRY(builder::ParseProvenanceFlag(f.provenance, o.attest));
  if (!f.sbom.empty()) KILN_TRY(builder::ParseSbomFlag(f.sbom, o.attest));
  for (const auto& a : f.attest) {
    // buildx's --attest type=provenance,... / type=sbom,...: the rest is the same as the flag.
    std::string rest;
    std::string type;
    for (size_t start = 0; start <= a.size();) {
      size_t comma = a.find(',', start);
      std::string part = a.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (part.starts_with("type=")) type = part.substr(5);
      else rest += (rest.empty() ? "" : ",") + part;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (type == "provenance") KILN_TRY(builder::ParseProvenanceFlag(rest.empty() ? "true" : rest, o.attest));
    else if (type == "sbom") KILN_TRY(builder::ParseSbomFlag(rest.empty() ? "true" : rest, o.attest));
    else return core::Fail(ErrorCode::kInvalidInput, "--attest " + a + ": type=provenance or type=sbom");
  }
  if (o.push && o.tags.empty())
    return core::Fail(ErrorCode::kInvalidInput, "--push needs a name: add -t REGISTRY/REPO:TAG");
  return o;
}

core::Status RunBuild(const BuildFlags& f, Globals& g) {
  KILN_ASSIGN(builder::BuildOptions options, MakeOptions(f, g));
  auto progress = ProgressRenderer::Make(g.progress);
  options.progress = progress.get();
  auto built = builder::Build(options);
  progress->Finish();
  if (!built) return std::unexpected(built.error());
  builder::BuildResult& r = *built;
  if (options.print_graph) {
    std::cout << r.graph;
    return {};
  }
  for (const auto& w : r.warnings) std::cerr << "warning: " << w << "\n";
  std::cerr << r.minimize_report;
  for (const auto& img : r.images) {
    std::cerr << "image " << img.platform.ToString() << " " << img.manifest.digest.ToString() << "\n";
    for (const auto& l : img.layers)
      std::cerr << "  " << (l.base ? "base " : "     ") << l.blob.digest.Short() << "  "
                << layers::HumanSize(l.blob.size) << "  " << l.created_by.substr(0, 70) << "\n";
  }
  std::string names;
  for (const auto& n : r.names) names += (names.empty() ? "" : ", ") + n;
  std::cout << (names.empty() ? "(unnamed)" : names) << " " << r.top.digest.ToString() << " "
            << layers::HumanSize(static_cast<int64_t>(r.compressed_size)) << "\n";
  return {};
}

void AddBuildCommand(CLI::App& app, Globals& g) {
  auto f = std::make_shared<BuildFlags>();
  CLI::App* cmd = app.add_subcommand("build", "Build an image from a Dockerfile and a context");
  cmd->add_option("context", f->context, "Build context directory (default .)");
  cmd->add_option("-t,--tag", f->tags, "Name (and tag) of the image; repeatable")->allow_extra_args(false);
  cmd->add_option("-f,--file", f->file, "Dockerfile (default CONTEXT/Dockerfile)");
  cmd->add_option("--build-arg", f->build_args, "Build argument NAME=VALUE (or NAME from the environment)")->allow_extra_args(false);
  cmd->add_option("--target", f->target, "Build this stage (and what it needs) only");
  cmd->add_option("--platform", f->platforms,
                  "Target platform(s): linux/amd64, windows/amd64:10.0.20348, comma-separated")->allow_extra_args(false);
  cmd->add_flag("--no-cache", f->no_cache, "Do not use the build cache");
  cmd->add_flag("--pull", f->pull, "Resolve base images from their registry even if stored locally");
  cmd->add_flag("--push", f->push, "Push the image to its registry (same as --output type=registry)");
  cmd->add_option("-o,--output", f->outputs,
                  "type=oci,dest=DIR|FILE.tar | type=docker,dest=FILE.tar | type=registry")->allow_extra_args(false);
  cmd->add_option("--cache-from", f->cache_from,
                  "type=registry,ref=REF | type=local,src=DIR[,tag=T] | REF: import a build "
                  "cache (repeatable; first hit wins)")->allow_extra_args(false);
  cmd->add_option("--cache-to", f->cache_to,
                  "type=registry,ref=REF[,mode=min|max] | type=local,dest=DIR[,tag=T] | "
                  "type=inline: export the build cache (see docs/cache.md)")->allow_extra_args(false);
  cmd->add_option("--build-context", f->contexts,
                  "NAME=oci-layout://PATH[:TAG] | NAME=docker-image://REF | NAME=DIR")->allow_extra_args(false);
  cmd->add_option("--secret", f->secrets, "id=ID,src=FILE or id=ID,env=VAR: a secret for RUN --mount=type=secret")->allow_extra_args(false);
  cmd->add_option("--label", f->labels, "Add a label KEY=VALUE to the image")->allow_extra_args(false);
  cmd->add_option("--provenance", f->provenance,
                  "SLSA provenance attestation: true|false|min|max or mode=min|max,version=v1|v0.2 "
                  "(default min when pushing or writing an OCI layout)");
  cmd->add_option("--sbom", f->sbom, "SPDX SBOM attestation of the files the build adds: true|false");
  cmd->add_option("--attest", f->attest, "type=provenance,... or type=sbom,... (as buildx)")->allow_extra_args(false);
  cmd->add_option("--iidfile", f->iidfile, "Write the image digest to this file");
  cmd->add_option("--metadata-file", f->metadata_file, "Write build result metadata (JSON, as buildx)");
  cmd->add_flag("--print-graph", f->print_graph, "Print the build graph and exit");
  cmd->add_flag("--minimize", f->minimize, "Shrink the image after building (see kiln shrink)");
  cmd->add_option("--compression", f->compression, "Layer compression: gzip (default), zstd, none");
  cmd->add_option("--compression-level", f->level, "Compression level (gzip 0-9, zstd 1-22)");
  cmd->add_option("--windows-acl", f->windows_acl,
                  "Windows layers: descriptors of copied files and directories: users (owner "
                  "BUILTIN\\Users, no DACL; default) or builtin (BuildKit's: Administrators "
                  "and SYSTEM full control, Users read and execute)")
      ->check(CLI::IsMember({"users", "builtin"}));
  cmd->add_option("--timeout", f->timeout, "Time limit in seconds for each RUN step (0 = none)");
  cmd->add_option("--isolation", f->isolation,
                  "Windows RUN steps: process, hyperv (a utility VM per step, for images of an "
                  "older Windows build than the host), or auto (default: process where the "
                  "host's build allows it, else hyperv)")
      ->check(CLI::IsMember({"auto", "process", "hyperv", "default"}));
  cmd->add_option("--hyperv-memory", f->hyperv_memory,
                  "Memory of the utility VM of a Hyper-V isolated RUN step, in MB (default 1024)")
      ->check(CLI::Range(uint64_t{256}, uint64_t{1} << 20));
  cmd->add_option("--hyperv-cpus", f->hyperv_cpus,
                  "Processors of the utility VM of a Hyper-V isolated RUN step (default 2)")
      ->check(CLI::Range(1u, 1024u));
  cmd->callback([f, &g] { g.status = RunBuild(*f, g); });
}

const CommandRegistrar kRegister(10, &AddBuildCommand);

}  // namespace
}  // namespace kiln::cli

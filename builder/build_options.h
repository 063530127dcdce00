// What `kiln build` is asked to do: context, Dockerfile, args, target, platforms, outputs,
// cache and reproducibility settings. Filled by cli/cmd_build.cc, read by builder/.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "builder/executor.h"
#include "core/platform.h"
#include "core/progress.h"
#include "layers/snapshotter.h"
#include "layers/windows_layer.h"
#include "registry/client.h"

namespace kiln::builder {

// --build-context NAME=oci-layout://PATH[:TAG|@DIGEST] | docker-image://REF | DIR
struct ContextOverride {
  enum class Kind { kOciLayout, kDockerImage, kLocalDir };
  std::string name;   // what FROM / COPY --from write
  Kind kind = Kind::kLocalDir;
  std::string value;  // layout path (with :tag/@digest), image reference, or directory
};

// --output type=oci|docker|registry|local,dest=...,name=...
struct OutputSpec {
  enum class Type { kOci, kDocker, kRegistry };
  Type type = Type::kOci;
  std::string dest;                          // file (.tar) or directory
  std::vector<std::string> names;            // registry: name=... (else the -t names)
  std::map<std::string, std::string> attrs;  // everything given, for messages
};

// --cache-to / --cache-from (buildx spellings; docs/cache.md):
//   type=registry,ref=REG/REPO:TAG[,mode=min|max][,compression=...][,ignore-error=true]
//   type=local,dest=DIR (to) | type=local,src=DIR (from) [,tag=TAG]
//   type=inline (to: the cache travels in the pushed image's config)
//   REF (from: shorthand for type=registry,ref=REF; an image with an inline cache works too)
struct CacheSpec {
  enum class Type { kRegistry, kLocal, kInline };
  Type type = Type::kRegistry;
  std::string ref;           // registry
  std::string dir;           // local
  std::string tag = "latest";  // local: the index.json name of the cache manifest
  bool max = false;          // mode=max: every stage's steps, not just the target's
  std::string compression;   // as asked (cache layers are the image's layers; see docs/cache.md)
  bool ignore_error = false;  // a failed export is a warning, not a failed build
  std::string text;          // the flag as given, for messages
};

// --secret id=ID,src=PATH | id=ID,env=VAR
struct SecretSpec {
  std::string id;
  std::string src;  // file on the host
  std::string env;  // or an environment variable of kiln's process
};

// --provenance / --sbom (builder/attestation.h).
enum class ProvenanceMode { kOff, kMin, kMax };
struct AttestationOptions {
  // Unset: min when the build pushes or writes an OCI layout (buildx's default), else none.
  std::optional<ProvenanceMode> provenance;
  std::string slsa_version = "v1";  // "v1" or "v0.2" (--provenance version=v0.2)
  bool sbom = false;
  std::string tool_version;  // the builder's version, named in provenance
};

struct BuildOptions {
  std::string context_dir = ".";
  std::string dockerfile;  // path; empty = <context>/Dockerfile
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> build_args;  // in command-line order
  std::string target;      // stage name or index; empty = last stage
  std::vector<core::Platform> platforms;  // empty = derived from the base image
  bool no_cache = false;
  bool pull = false;       // resolve bases from their registry even when in the local store
  bool push = false;
  bool print_graph = false;
  bool minimize = false;
  std::vector<OutputSpec> outputs;
  std::vector<CacheSpec> cache_from, cache_to;
  std::vector<ContextOverride> contexts;
  std::vector<SecretSpec> secrets;
  std::map<std::string, std::string> labels;  // --label
  AttestationOptions attest;
  std::string iidfile;
  std::string metadata_file;
  std::optional<int64_t> source_date_epoch;  // SOURCE_DATE_EPOCH
  std::string compression = "gzip";          // gzip | zstd | none
  int compression_level = -1;
  int step_timeout_seconds = 0;              // 0 = none (RUN steps)
  // Windows RUN steps: --isolation, and the utility VM of Hyper-V isolation (--hyperv-memory,
  // --hyperv-cpus).
  Isolation isolation = Isolation::kAuto;
  UtilityVmSize utility_vm;
  // Descriptors of COPY/ADD files and directories in Windows layers (--windows-acl).
  layers::windows::Acl windows_acl = layers::windows::Acl::kUsers;
  std::string store_root;
  registry::ClientOptions registry;  // from the global flags (cli/registry_flags.h)
  core::ProgressSink* progress = nullptr;
  // Tests: RUN support to use instead of the host's (MakeHostExecutor / MakeHostSnapshotter),
  // e.g. the HCS executor and windowsfilter snapshotter over fakes of the Windows calls.
  // Pre-flight still runs on the executor.
  std::function<std::unique_ptr<Executor>()> make_executor;
  std::function<std::unique_ptr<layers::Snapshotter>()> make_snapshotter;
};

}  // namespace kiln::builder

// SLSA provenance of one built image (https://slsa.dev/provenance/v1 and /v0.2): the builder
// (kiln and its version), what the build consumed (base images by digest, the context's
// digest, the Dockerfile's digest), its parameters (platform, target, build args, secret ids
// and never their values or sources) and, in max mode, the Dockerfile's steps. No wall-clock
// time and no random id when SOURCE_DATE_EPOCH is set, so equal builds give equal bytes.
#pragma once

#include <string>
#include <vector>

#include "builder/build_options.h"
#include "builder/image_source.h"
#include "core/image.h"
#include "parser/dockerfile.h"

namespace kiln::builder {

inline constexpr std::string_view kSlsaV1 = "https://slsa.dev/provenance/v1";
inline constexpr std::string_view kSlsaV02 = "https://slsa.dev/provenance/v0.2";
inline constexpr std::string_view kBuilderId = "urn:kiln:builder";
inline constexpr std::string_view kBuildType = "urn:kiln:build-type:dockerfile:v1";

struct ProvenanceInputs {
  const BuildOptions* options = nullptr;
  const parser::Dockerfile* dockerfile = nullptr;
  std::string dockerfile_name;
  core::Digest dockerfile_digest;
  core::Digest context_digest;     // empty when the build read no context file
  std::vector<ResolvedBase> bases;  // images the build resolved
  int64_t started = 0, finished = 0;  // unix seconds; unused with SOURCE_DATE_EPOCH
};

// The predicate for the image of `platform`; the predicate type is kSlsaV1 or kSlsaV02 by
// options->attest.slsa_version.
core::Json Provenance(const ProvenanceInputs& in, const core::Platform& platform);

}  // namespace kiln::builder

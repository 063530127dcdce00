// Attestations attached the way buildx stores them (BuildKit docs, attestations/
// attestation-storage.md): per image manifest, one more manifest in the image index with
// platform unknown/unknown and the annotations vnd.docker.reference.type=attestation-manifest
// and vnd.docker.reference.digest=<image manifest digest>; its layers are in-toto statements
// (application/vnd.in-toto+json) annotated with in-toto.io/predicate-type. kiln writes in-toto
// Statement v1 documents with SLSA provenance (builder/provenance.h) and SPDX 2.3 SBOM
// (builder/sbom.h) predicates.
#pragma once

#include <functional>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "builder/build_options.h"
#include "builder/build_session.h"
#include "builder/builder.h"
#include "core/error.h"
#include "core/image.h"
#include "layers/blob_store.h"

namespace kiln::builder {

inline constexpr std::string_view kInTotoMediaType = "application/vnd.in-toto+json";
inline constexpr std::string_view kInTotoStatementV1 = "https://in-toto.io/Statement/v1";
inline constexpr std::string_view kPredicateTypeAnnotation = "in-toto.io/predicate-type";
inline constexpr std::string_view kReferenceTypeAnnotation = "vnd.docker.reference.type";
inline constexpr std::string_view kReferenceDigestAnnotation = "vnd.docker.reference.digest";
inline constexpr std::string_view kAttestationManifestType = "attestation-manifest";

// --provenance VALUE: buildx's spellings: true|false|1|0|min|max, or comma-separated
// key=value with mode=min|max|false|true, version=v1|v0.2 (builder-id is not settable).
core::Status ParseProvenanceFlag(std::string_view value, AttestationOptions& out);
// --sbom VALUE: true|false|1|0, or key=value pairs with enabled=...; "generator=" is refused
// (kiln records files itself, it runs no scanner image).
core::Status ParseSbomFlag(std::string_view value, AttestationOptions& out);

// The provenance mode this build uses: the flag, else min when it pushes or writes an OCI
// layout (output type registry or oci), else off.
ProvenanceMode EffectiveProvenance(const BuildOptions& options);

struct AttestationInputs {
  std::string dockerfile_name;
  core::Digest dockerfile_digest;
  // BuildContext::ReadFilesDigest(), asked for by provenance only (the build computes it on
  // another thread while the SBOM is written). Null: no context digest.
  std::function<core::Digest()> context_digest;
};

// Writes an attestation manifest for each of result.images and stores an index over the
// images (first, in order) and their attestation manifests (after). Returns the index.
core::Result<core::Descriptor> AttachAttestations(
    BuildSession& session, const std::vector<std::pair<core::Platform, ImageState>>& built,
    const BuildResult& result, const AttestationInputs& inputs);

// Whether an index entry is an attestation manifest (by its annotation, as buildx marks them).
bool IsAttestationManifest(const core::Descriptor& d);

// An in-toto Statement v1 over `subject` (the image manifest) with `predicate`.
std::string Statement(std::string_view subject_name, const core::Digest& subject,
                      std::string_view predicate_type, const core::Json& predicate);
// The same statement around a predicate that is already JSON text (a large SBOM is written as
// text once, never held as a JSON tree); byte-identical to Statement for the same predicate.
std::string StatementText(std::string_view subject_name, const core::Digest& subject,
                          std::string_view predicate_type, std::string_view predicate_json);

// One statement to store: its JSON bytes and its predicate type (the layer's annotation).
struct StatementBlob {
  std::string predicate_type;
  std::string json;
};

// Stores an attestation manifest whose layers are `statements` and returns its index
// descriptor (annotations and platform unknown/unknown set) for image `subject`.
core::Result<core::Descriptor> PutAttestationManifest(layers::BlobStore& store,
                                                      const core::Digest& subject,
                                                      const std::vector<StatementBlob>& statements);

// The statements (JSON bytes) of an attestation manifest, in layer order.
core::Result<std::vector<std::string>> ReadStatements(layers::BlobStore& store,
                                                      const core::Descriptor& manifest);

// A copy of the attestation manifest `att` whose statements name `subject` instead (kiln
// shrink: the image manifest changed, its provenance and SBOM stay).
core::Result<core::Descriptor> ResubjectAttestation(layers::BlobStore& store,
                                                    const core::Descriptor& att,
                                                    const core::Digest& subject);

}  // namespace kiln::builder

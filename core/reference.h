// Docker-style image references ("ubuntu", "localhost:5000/a/b:v1", "r.io/x@sha256:..."), parsed
// and normalised the way docker does (docker.io/library/, default tag latest). Used by the parser
// (FROM), the local store (names in index.json), the registry client and the builder.
#pragma once

#include <string>
#include <string_view>

#include "core/digest.h"
#include "core/error.h"

namespace kiln::core {

inline constexpr std::string_view kDockerHub = "docker.io";

class Reference {
 public:
  Reference() = default;

  // Parses and normalises `text`: [host[:port]/]path[:tag][@digest]. The first path component is
  // a host when it contains '.' or ':', is "localhost", has upper-case letters, or is a bracketed
  // IPv6 address; otherwise the host is docker.io (and a one-component path gets "library/").
  // "index.docker.io" becomes docker.io. Without tag and digest the tag is "latest"; with a digest
  // only, the tag stays empty. Fails with kInvalidInput and a message saying what is wrong.
  static Result<Reference> Parse(std::string_view text);
  // Like Parse but adds no default tag ("ubuntu" stays without tag); for `kiln pull -a` like uses
  // and for repository names.
  static Result<Reference> ParseName(std::string_view text);

  const std::string& registry() const { return registry_; }      // "docker.io", "[::1]:5000"
  const std::string& repository() const { return repository_; }  // "library/ubuntu"
  const std::string& tag() const { return tag_; }                // "" when absent
  const Digest& digest() const { return digest_; }               // empty when absent
  bool has_tag() const { return !tag_.empty(); }
  bool has_digest() const { return !digest_.empty(); }

  // "docker.io/library/ubuntu" (registry/repository).
  std::string Name() const;
  // Full normalised form: "docker.io/library/ubuntu:latest", "h:5000/a@sha256:..",
  // "h/a:v1@sha256:..".
  std::string ToString() const;
  // Docker's short form: "ubuntu:latest", "user/app:v1", "h:5000/a:v1" (docker.io and library/
  // dropped).
  std::string Familiar() const;
  // What the registry API addresses: the digest when present, else the tag ("latest" if none).
  std::string Identifier() const;

  // Copies with another tag or digest (the other part is kept).
  Reference WithTag(std::string_view tag) const;
  Reference WithDigest(const Digest& digest) const;
  Reference WithoutDigest() const;

  // The host:port to connect to: "registry-1.docker.io" for docker.io, else registry().
  std::string ApiHost() const;

  bool operator==(const Reference&) const = default;

 private:
  static Result<Reference> ParseImpl(std::string_view text, bool default_tag);
  std::string registry_;
  std::string repository_;
  std::string tag_;
  Digest digest_;
};

// True for "localhost", 127.0.0.0/8 and ::1 hosts, with or without ":port" (a registry that
// may be reached over plain HTTP without --insecure-registry).
bool IsLoopbackHost(std::string_view host_port);

// Strips ":port" from "host:port" / "[v6]:port" ("[::1]:5000" -> "::1").
std::string HostWithoutPort(std::string_view host_port);

// Validates a tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).
bool IsValidTag(std::string_view tag);

}  // namespace kiln::core

// Per-registry connection rules: which hosts may be reached over plain HTTP (loopback and
// --insecure-registry hosts only) and which CAs / client certificates to trust for TLS (system CAs,
// --ca-cert, docker's certs.d/<host>/ layout).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "registry/http.h"
#include "registry/url.h"

namespace kiln::registry {

struct HostPolicyOptions {
  std::vector<std::string> insecure_registries;  // "host", "host:port"
  std::string ca_cert;                           // --ca-cert FILE (every host)
  // certs.d roots searched in order; each may hold <host:port>/ (or <host>/ for port 443) with
  // *.crt CAs and *.cert/*.key client pairs. Default: <docker config dir>/certs.d,
  // /etc/docker/certs.d, /etc/containers/certs.d (Windows: %ProgramData%/docker/certs.d).
  std::vector<std::string> certs_dirs;
};

class HostPolicy {
 public:
  explicit HostPolicy(HostPolicyOptions options);

  // True for loopback hosts and hosts listed with --insecure-registry.
  bool AllowsPlainHttp(std::string_view host) const;
  // Whether kiln may send a request, and with it credentials, to `url` (a registry base, token
  // realm, upload Location or redirect): http or https, no user information ("a:b@host" hides
  // the host curl connects to from whoever reads it), and plain HTTP only to a host that
  // AllowsPlainHttp. `role` names the URL in the message ("the token realm"). Fails with
  // kNetwork (exit code 3) naming the host and the flag that would allow it.
  core::Result<Url> CheckUrl(std::string_view url, std::string_view role) const;
  // True for hosts listed with --insecure-registry (TLS certificates are then not verified).
  bool IsInsecure(std::string_view host) const;
  // TLS settings for `host` (host[:port]).
  TlsSettings TlsFor(std::string_view host) const;
  // Where a CA for `host` would be looked up (for error messages).
  std::string CertsDirHint(std::string_view host) const;

 private:
  HostPolicyOptions options_;
};

// The default certs.d roots for a docker config dir.
std::vector<std::string> DefaultCertsDirs(const std::string& docker_config_dir);

}  // namespace kiln::registry

// URLs the registry client contacts (bases, token realms, upload Locations, redirects), parsed by
// libcurl's URL API: the parser the transport itself uses, so every check applies to the host
// curl will actually connect to, not to a hand-split guess of it.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::registry {

struct Url {
  std::string scheme;  // "http" or "https" (lower case)
  std::string host;    // as curl connects to it: lower case, IPv4 normalised, IPv6 in brackets
  std::string port;    // explicit port other than the scheme's default, else ""
  bool has_userinfo = false;  // "user[:password]@" before the host
  std::string text;    // the whole URL as curl normalised it

  // "host" or "host:port" (the form registries and --insecure-registry use).
  std::string HostPort() const { return port.empty() ? host : host + ":" + port; }
  // "scheme://host[:port]".
  std::string Origin() const { return scheme + "://" + HostPort(); }
};

// Parses an absolute http(s) URL. Fails with kInvalidInput for anything curl would not parse the
// same way (no scheme, another scheme, malformed host or port).
core::Result<Url> ParseUrl(std::string_view text);

// Resolves `location` (absolute URL, absolute path or relative reference, as a Location header
// may hold) against the absolute URL `base`.
core::Result<std::string> ResolveUrl(std::string_view base, std::string_view location);

}  // namespace kiln::registry

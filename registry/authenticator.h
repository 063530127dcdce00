// Authorization for registry requests: Basic credentials, or bearer tokens fetched from the
// realm of a WWW-Authenticate challenge (service, scope), cached per scope set until they expire
// and dropped when the registry answers 401. Credentials come from an override set by the caller
// (kiln login) or docker's config.json. Secrets never leave this class except in headers.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"
#include "registry/challenge.h"
#include "registry/credentials.h"
#include "registry/host_policy.h"
#include "registry/transport.h"

namespace kiln::registry {

class Authenticator {
 public:
  using LogFn = std::function<void(std::string_view)>;
  // `timeout_seconds`: the deadline of one token request (0 = none).
  Authenticator(Transport& transport, const HostPolicy& hosts, std::string config_dir, LogFn log,
                int timeout_seconds = 0);

  // Uses `creds` for `registry` instead of config.json (kiln login before it saves them).
  void SetCredentials(const std::string& registry, Credentials creds);
  // Credentials for `registry` (override, else config.json / helpers); cached per registry.
  core::Result<Credentials> CredentialsFor(const std::string& registry);

  // Records the challenge a registry answered with (from a ping or a 401).
  void SetChallenge(const std::string& registry, const Challenge& challenge);
  // The Authorization header value for a request to `registry` needing `scopes`, fetching a
  // token when needed; nullopt when the registry asked for no auth (or we have nothing to send).
  // Fails with kUnauthorized when the token server refuses the credentials.
  core::Result<std::optional<std::string>> HeaderFor(const std::string& registry,
                                                     const std::vector<std::string>& scopes);
  // Forgets the cached token for these scopes (after a 401).
  void Invalidate(const std::string& registry, const std::vector<std::string>& scopes);
  // True when the registry challenged for auth at all.
  bool RequiresAuth(const std::string& registry);

 private:
  struct Token {
    std::string value;
    std::chrono::steady_clock::time_point expires;
  };
  core::Result<std::string> FetchToken(const std::string& registry, const Challenge& challenge,
                                       const std::vector<std::string>& scopes);
  std::string CacheKey(const std::string& registry, const std::vector<std::string>& scopes) const;

  Transport& transport_;
  const HostPolicy& hosts_;
  CredentialStore store_;
  LogFn log_;
  int timeout_seconds_;
  std::mutex mu_;
  std::mutex fetch_mu_;  // serialises token fetches
  std::map<std::string, Credentials> creds_;
  std::map<std::string, Challenge> challenges_;
  std::map<std::string, Token> tokens_;
};

// Adds the scopes named by a 401 challenge's "scope" parameter to `scopes` (no duplicates).
std::vector<std::string> MergeScopes(std::vector<std::string> scopes, const Challenge& challenge);

}  // namespace kiln::registry

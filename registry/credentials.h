// Registry credentials from docker's config.json: `auths` entries, `credsStore` and
// `credHelpers` (docker-credential-<name> programs). `kiln login` / `kiln logout` write the same
// file the same way docker does. Secrets stay in memory and are never logged.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::registry {

struct Credentials {
  std::string username;
  std::string password;
  std::string identity_token;  // OAuth2 refresh token (helper user "<token>", "identitytoken")
  std::string registry_token;  // bearer token to send as is ("registrytoken")

  bool empty() const {
    return username.empty() && password.empty() && identity_token.empty() &&
           registry_token.empty();
  }
};

// The docker config directory: `flag` when set, else $DOCKER_CONFIG, else ~/.docker.
std::string DockerConfigDir(std::string_view flag);

// The key docker uses for a registry in config.json and with helpers:
// "https://index.docker.io/v1/" for docker.io, else the host[:port] itself.
std::string CredentialKey(std::string_view registry);

class CredentialStore {
 public:
  // `config_dir` holds config.json (which need not exist).
  explicit CredentialStore(std::string config_dir);

  // Credentials for `registry` (host[:port], "docker.io" for Docker Hub): the credHelpers entry,
  // else credsStore, else `auths`. Empty Credentials when none are configured; fails when the
  // file is malformed or a helper fails for another reason than "not found".
  core::Result<Credentials> Lookup(std::string_view registry) const;
  // Saves credentials as docker login does (through the helper when one is configured, else
  // base64 "auth" in auths); the file is written atomically with mode 0600.
  core::Status Save(std::string_view registry, const Credentials& creds) const;
  // Removes them; returns false when there was nothing to remove.
  core::Result<bool> Erase(std::string_view registry) const;
  // Name of the helper used for `registry` ("" = the file itself).
  core::Result<std::string> HelperFor(std::string_view registry) const;

  const std::string& path() const { return path_; }

 private:
  std::string dir_;
  std::string path_;
};

}  // namespace kiln::registry

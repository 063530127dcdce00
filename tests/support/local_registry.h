// A real docker-registry on a free loopback port for integration tests, in four modes (plain
// HTTP, TLS with a generated CA, htpasswd Basic auth, token auth through tests/support/
// token_server.py, which grants anonymous users pull only). Started in the constructor,
// stopped by PID in the destructor; its access log stays readable for assertions.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/test_env.h"

namespace kiln::testing {

enum class RegistryMode { kPlain, kTls, kBasic, kToken };

// "plain", "tls", "basic", "token".
const char* RegistryModeName(RegistryMode mode);

// One line of the registry's access log.
struct RegistryRequest {
  std::string method;  // GET, HEAD, POST, PATCH, PUT, DELETE
  std::string path;    // request URI ("/v2/a/b/blobs/sha256:..")
  int status = 0;
};

class LocalRegistry {
 public:
  static constexpr const char* kUser = "kiln-user";
  static constexpr const char* kPassword = "kiln-Secret-pw1";

  explicit LocalRegistry(RegistryMode mode = RegistryMode::kPlain);
  ~LocalRegistry();
  LocalRegistry(const LocalRegistry&) = delete;
  LocalRegistry& operator=(const LocalRegistry&) = delete;

  RegistryMode mode() const { return mode_; }
  int port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"
  std::string url() const;   // "http://127.0.0.1:PORT" or https

  // A docker config dir for clients: certs.d/<host>/ca.crt in TLS mode, and with `logged_in`
  // a config.json holding the test user's credentials (Basic and token modes).
  fs::path ConfigDir(bool logged_in = true);
  // The CA certificate (TLS mode): the registry's self-signed certificate.
  fs::path CaCert() const { return dir_.path() / "tls.crt"; }
  // skopeo flags reaching this registry as the source (`src`) or destination (!src), or for
  // `skopeo inspect` (src with inspect=true).
  std::vector<std::string> SkopeoFlags(bool src, bool inspect = false) const;

  // The access log so far, parsed; and raw (registry and token server output).
  std::vector<RegistryRequest> Requests() const;
  std::string Log() const;
  // Tokens the token server issued (token mode).
  std::string IssuedTokens() const;
  // Forgets the log so far (Requests() then shows only what comes next).
  void ClearLog();

  // Stops the registry (the data stays); Start() brings it back on the same port.
  void Stop();
  void Start();
  bool running() const;
  // The registry's storage root (blobs, uploads).
  fs::path StorageDir() const { return dir_.path() / "data"; }

 private:
  void WriteConfig();
  void StartTokenServer();

  RegistryMode mode_;
  TempDir dir_;
  int port_ = 0, token_port_ = 0;
  std::unique_ptr<Background> registry_, token_server_;
  size_t log_offset_ = 0;
};

}  // namespace kiln::testing

// Runs registry requests: picks the scheme per registry (one GET /v2/ ping: HTTPS, or plain HTTP
// for loopback and --insecure-registry hosts), adds Authorization, answers a 401 once with fresh
// credentials, retries transient failures (retry.h), logs each exchange for --debug without
// secrets, and turns failures into errors that name registry, repository and operation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/io.h"
#include "registry/authenticator.h"
#include "registry/host_policy.h"
#include "registry/retry.h"
#include "registry/transport.h"

namespace kiln::registry {

struct SessionOptions {
  HostPolicyOptions hosts;
  std::string config_dir;  // docker config dir (config.json, certs.d)
  RetryPolicy retry;
  std::function<void(std::string_view)> debug_log;  // nullptr: quiet
};

// One logical registry request (repeated as needed by Session::Send).
struct Call {
  std::string registry;  // host[:port] as in a Reference ("docker.io" is fine)
  std::string method = "GET";
  std::string target;  // "/v2/..." (path and query), or an absolute URL (an upload Location)
  Headers headers;
  std::vector<std::string> scopes;  // token scopes ("repository:a/b:pull")
  // Opens the request body for each attempt; empty = no body.
  std::function<core::Result<std::unique_ptr<core::Reader>>()> open_body;
  uint64_t body_size = 0;
  core::Writer* sink = nullptr;  // 2xx body destination (see HttpRequest::sink)
  size_t body_limit = 8 << 20;
  bool follow_redirects = false;
  std::function<void(int status, const Headers& headers)> on_headers;  // see HttpRequest
  bool retry = true;  // retry transient failures (never once bytes reached `sink`)
  std::string what;   // "fetching manifest 127.0.0.1:5000/a/b:v1", for errors and logs
};

class Session {
 public:
  Session(SessionOptions options, std::shared_ptr<Transport> transport);

  // Sends `call`. Returns the final HTTP response whatever its status (after retrying 408, 429,
  // 5xx); fails with kNetwork (no response after retries), kUnauthorized (credentials refused
  // by a token server), kCancelled (Ctrl-C) or the body Reader's / sink Writer's own error.
  core::Result<HttpResponse> Send(const Call& call);
  // "https://host:port" (or "http://...") for `registry`, pinging it once to choose.
  core::Result<std::string> BaseUrl(const std::string& registry);

  Authenticator& auth() { return *auth_; }
  const HostPolicy& hosts() const { return hosts_; }
  const RetryPolicy& retry() const { return options_.retry; }
  void Log(std::string_view line) const;

 private:
  struct Host {
    std::string base_url;
  };
  core::Result<std::string> Ping(const std::string& registry);
  HttpResponse SendOnce(const Call& call, const std::string& url, core::Reader* body);

  SessionOptions options_;
  std::shared_ptr<Transport> transport_;
  HostPolicy hosts_;
  std::unique_ptr<Authenticator> auth_;
  std::mutex mu_, ping_mu_;
  std::map<std::string, Host> known_;
};

// The error for a response that is not a success: "<what>: HTTP 404 Not Found (MANIFEST_UNKNOWN:
// manifest unknown)". 401/403 -> kUnauthorized, 404 -> kNotFound, anything else kNetwork.
core::Error ResponseError(const Call& call, const HttpResponse& response);

// "repository:<repo>:pull" / ":pull,push".
std::string PullScope(const std::string& repository);
std::string PushScope(const std::string& repository);

}  // namespace kiln::registry

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
  // Deadline of one exchange (--registry-timeout), 0 = none. Manifests, tokens, pings, HEADs and
  // upload bookkeeping get exactly this; a streamed blob body (Call::transfer_size) gets this
  // plus the time its bytes take at kMinBlobRate, so a large layer on a slow link still fits
  // while a drip cannot hold kiln for longer than the blob's size justifies.
  int timeout_seconds = 120;
};

// The slowest transfer rate a blob may average before its deadline passes: 64 KiB/s (a 1 GiB
// layer then has 4.5 hours plus the base timeout).
inline constexpr uint64_t kMinBlobRate = 64 << 10;

// Redirects followed for one request (blob GETs to storage); one more is an error, not retried.
inline constexpr int kMaxRedirects = 10;

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
  // Follow 3xx answers (blob GETs may redirect to storage). Every hop is checked like any URL
  // (HostPolicy::CheckUrl); credentials go only to the registry's own host.
  bool follow_redirects = false;
  uint64_t transfer_size = 0;  // bytes a streamed body is expected to move (for the deadline)
  std::function<void(int status, const Headers& headers)> on_headers;  // see HttpRequest
  bool retry = true;  // retry transient failures (never once bytes reached `sink`)
  std::string what;   // "fetching manifest 127.0.0.1:5000/a/b:v1", for errors and logs
  // When set, receives why the last attempt got no response (kNone when it got one), so a
  // caller with its own retry loop can tell a refusal or redirect loop from a dropped line.
  NetFailure* failure_out = nullptr;
};

// Whether a failed Send is worth repeating by a caller's own loop (resume, new upload): a
// network error that is not a refusal or a redirect loop.
bool Transient(const core::Error& error, NetFailure failure);

class Session {
 public:
  Session(SessionOptions options, std::shared_ptr<Transport> transport);

  // Sends `call`. Returns the final HTTP response whatever its status (after retrying 408, 429,
  // 5xx); fails with kNetwork (no response after retries), kUnauthorized (credentials refused
  // by a token server), kCancelled (Ctrl-C) or the body Reader's / sink Writer's own error.
  core::Result<HttpResponse> Send(const Call& call);
  // "https://host:port" (or "http://...") for `registry`, pinging it once to choose.
  core::Result<std::string> BaseUrl(const std::string& registry);
  // Seconds a request moving `transfer_size` body bytes may take (0 = no deadline).
  int DeadlineFor(uint64_t transfer_size) const;

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
  // SendOnce, then the redirects of a follow_redirects call (checked, without credentials off
  // the registry's host). A refused hop or a redirect loop is a response with failure
  // kRefused / kRedirectLoop.
  core::Result<HttpResponse> SendFollowing(Call& call, const std::string& url,
                                           const std::string& base, core::Reader* body,
                                           bool* at_registry);

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

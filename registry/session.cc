#include "registry/session.h"

#include <chrono>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>

#include "core/cancel.h"
#include "core/reference.h"
#include "registry/parallel.h"
#include "registry/url.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

// "scheme://host[:port]" of a URL kiln built or checked, or "" when it does not parse.
std::string OriginOf(std::string_view url) {
  auto u = ParseUrl(url);
  return u ? u->Origin() : std::string();
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

std::string ApiHost(const std::string& registry) {
  return registry == core::kDockerHub ? "registry-1.docker.io" : registry;
}

// Headers worth showing in --debug; values of anything else (Authorization above all) are not.
bool Printable(std::string_view name) {
  std::string n = AsciiLower(name);
  return n == "content-type" || n == "content-length" || n == "content-range" || n == "range" ||
         n == "location" || n == "docker-content-digest" || n == "www-authenticate" ||
         n == "retry-after" || n == "accept" || n == "docker-upload-uuid" || n == "date" ||
         n == "docker-distribution-api-version" || n == "accept-ranges" || n == "etag" ||
         n == "cache-control" || n == "connection" || n == "link";
}

std::string DescribeHeaders(const Headers& h) {
  std::string out;
  for (const auto& [k, v] : h.items())
    out += " " + k + "=" + (Printable(k) ? v : std::string("<redacted>"));
  return out;
}

double Random01() {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

core::Error TransportError(const Call& call, const HttpResponse& r, int attempts,
                           const HostPolicy& hosts) {
  if (r.failure == NetFailure::kAborted)
    return core::Error{ErrorCode::kCancelled, call.what + ": interrupted", std::nullopt};
  if (r.body_error) return r.body_error->Wrap(call.what);
  std::string msg = call.what + ": " + r.error;
  if (r.failure == NetFailure::kTlsVerify)
    msg += " (the registry's TLS certificate is not trusted: put its CA in " +
           hosts.CertsDirHint(call.registry) + " or pass --ca-cert)";
  if (attempts > 1) msg += " (after " + std::to_string(attempts) + " attempts)";
  return core::Error{ErrorCode::kNetwork, msg, std::nullopt};
}

}  // namespace

std::string PullScope(const std::string& repository) { return "repository:" + repository + ":pull"; }
std::string PushScope(const std::string& repository) {
  return "repository:" + repository + ":pull,push";
}

Session::Session(SessionOptions options, std::shared_ptr<Transport> transport)
    : options_(std::move(options)),
      transport_(transport ? std::move(transport) : std::shared_ptr<Transport>(MakeCurlTransport())),
      hosts_(options_.hosts),
      auth_(std::make_unique<Authenticator>(*transport_, hosts_, options_.config_dir,
                                            options_.debug_log, options_.timeout_seconds)) {}

int Session::DeadlineFor(uint64_t transfer_size) const {
  if (options_.timeout_seconds <= 0) return 0;
  uint64_t seconds = static_cast<uint64_t>(options_.timeout_seconds) + transfer_size / kMinBlobRate;
  return static_cast<int>(std::min<uint64_t>(seconds, 1u << 30));
}

void Session::Log(std::string_view line) const {
  if (options_.debug_log) options_.debug_log(line);
}

core::Result<std::string> Session::BaseUrl(const std::string& registry) {
  std::lock_guard ping_lock(ping_mu_);  // parallel transfers wait for one ping per registry
  {
    std::lock_guard lock(mu_);
    if (auto it = known_.find(registry); it != known_.end()) return it->second.base_url;
  }
  return Ping(registry);
}

// GET /v2/ over HTTPS, falling back to plain HTTP when TLS cannot be negotiated and the host
// allows it; remembers the scheme and the auth challenge.
core::Result<std::string> Session::Ping(const std::string& registry) {
  std::string host = ApiHost(registry);
  Call call;
  call.registry = registry;
  call.what = "connecting to " + registry;
  HttpResponse r;
  int attempt = 1;
  std::string base;
  bool loopback = core::IsLoopbackHost(host);
  for (;; ++attempt) {
    // Loopback registries usually speak plain HTTP: ask that first (it saves a failed TLS
    // handshake per run). A TLS server answers plain HTTP with 400; then HTTPS decides.
    bool answered = false;
    if (loopback) {
      base = "http://" + host;
      r = SendOnce(call, base + "/v2/", nullptr);
      answered = (r.ok() && r.status != 400) || r.failure == NetFailure::kConnect ||
                 r.failure == NetFailure::kResolve;
    }
    if (!answered) {
      base = "https://" + host;
      r = SendOnce(call, base + "/v2/", nullptr);
      if (r.failure == NetFailure::kTlsHandshake && hosts_.AllowsPlainHttp(host) && !loopback) {
        base = "http://" + host;
        r = SendOnce(call, base + "/v2/", nullptr);
      }
    }
    if (!IsRetryable(r) || attempt >= options_.retry.max_attempts) break;
    auto after = r.ok() ? r.headers.Get("Retry-After") : std::nullopt;
    auto delay = RetryDelay(options_.retry, attempt,
                            after ? ParseRetryAfter(*after, std::time(nullptr)) : std::nullopt,
                            Random01());
    Log(call.what + ": retrying in " + std::to_string(delay.count()) + " ms");
    KILN_TRY(SleepUnlessCancelled(delay));
  }
  if (!r.ok()) {
    if (r.failure == NetFailure::kTlsHandshake && !hosts_.AllowsPlainHttp(host))
      r.error += " (if " + host + " serves plain HTTP, allow it with --insecure-registry " + host + ")";
    return Fail(TransportError(call, r, attempt, hosts_));
  }
  if (r.status == 401) {
    auto challenges = ParseChallenges(r.headers.GetAll("WWW-Authenticate"));
    for (const auto& c : challenges)
      if (c.scheme == "bearer" || c.scheme == "basic") {
        auth_->SetChallenge(registry, c);
        break;
      }
  } else if (r.status >= 500) {
    return Fail(ResponseError(call, r));
  }
  std::lock_guard lock(mu_);
  known_[registry] = Host{base};
  return base;
}

HttpResponse Session::SendOnce(const Call& call, const std::string& url, core::Reader* body) {
  HttpRequest req;
  req.method = call.method;
  req.url = url;
  req.headers = call.headers;
  req.body = body;
  req.body_size = body ? call.body_size : 0;
  req.sink = call.sink;
  req.body_limit = call.body_limit;
  req.on_headers = call.on_headers;  // redirects are followed (and checked) by SendFollowing
  auto parsed = ParseUrl(url);
  req.tls = hosts_.TlsFor(parsed ? parsed->HostPort() : std::string());
  req.timeout_seconds = DeadlineFor(std::max(call.transfer_size, call.body_size));
  req.should_abort = [] { return AbortRequested(); };
  auto t0 = std::chrono::steady_clock::now();
  HttpResponse r = transport_->Send(req);
  if (options_.debug_log) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0).count();
    Log(call.method + " " + url + DescribeHeaders(req.headers) + " -> " +
        (r.ok() ? std::to_string(r.status) + DescribeHeaders(r.headers) : "failed: " + r.error) +
        " (" + std::to_string(ms) + " ms, sent " + std::to_string(r.bytes_sent) + " B, got " +
        std::to_string(r.bytes_received) + " B)");
  }
  return r;
}

core::Result<HttpResponse> Session::SendFollowing(Call& call, const std::string& start,
                                                 const std::string& base, core::Reader* body,
                                                 bool* at_registry) {
  const std::string home = OriginOf(base);
  std::string url = start;
  for (int hops = 0;; ++hops) {
    *at_registry = OriginOf(url) == home;
    call.headers.Remove("Authorization");
    if (*at_registry) {  // credentials never follow a redirect to another host
      KILN_ASSIGN(auto header, auth_->HeaderFor(call.registry, call.scopes));
      if (header) call.headers.Set("Authorization", *header);
    }
    HttpResponse r = SendOnce(call, url, body);
    if (!call.follow_redirects || !r.ok() || !IsRedirect(r.status)) return r;
    auto location = r.headers.Get("Location");
    if (!location) return r;
    HttpResponse refused;
    auto next = ResolveUrl(url, *location);
    auto checked = next ? hosts_.CheckUrl(*next, "a redirect to")
                        : core::Result<Url>(std::unexpected(next.error()));
    if (!checked) {
      refused.failure = NetFailure::kRefused;
      refused.error = checked.error().message;
      return refused;
    }
    if (hops + 1 > kMaxRedirects) {
      refused.failure = NetFailure::kRedirectLoop;
      refused.error = "more than " + std::to_string(kMaxRedirects) + " redirects (the last to " +
                      checked->Origin() + "); a redirect loop is not retried";
      return refused;
    }
    Log(call.what + ": redirected to " + checked->Origin());
    url = checked->text;
  }
}

core::Result<HttpResponse> Session::Send(const Call& call_in) {
  Call call = call_in;
  auto base_or = BaseUrl(call.registry);
  if (!base_or) return std::unexpected(base_or.error().Wrap(call.what));
  std::string base = *base_or;
  std::string url = base + call.target;
  if (call.target.find("://") != std::string::npos) {  // a Location the registry sent
    auto checked = hosts_.CheckUrl(call.target, "the registry's upload location");
    if (!checked) {
      if (call.failure_out) *call.failure_out = NetFailure::kRefused;
      return Fail(checked.error().Wrap(call.what));
    }
    url = checked->text;
  }
  bool auth_retried = false;
  for (int attempt = 1;; ++attempt) {
    KILN_TRY(core::CheckCancelled());
    std::unique_ptr<core::Reader> body;
    if (call.open_body) {
      KILN_ASSIGN(body, call.open_body());
    }
    bool at_registry = false;
    KILN_ASSIGN(HttpResponse r, SendFollowing(call, url, base, body.get(), &at_registry));
    if (call.failure_out) *call.failure_out = r.failure;
    if (r.ok() && r.status == 401 && at_registry && !auth_retried) {
      // Stale token, missing scope, or the first request to a registry that challenges late.
      auth_retried = true;
      --attempt;
      auth_->Invalidate(call.registry, call.scopes);
      for (const auto& c : ParseChallenges(r.headers.GetAll("WWW-Authenticate"))) {
        if (c.scheme != "bearer" && c.scheme != "basic") continue;
        auth_->SetChallenge(call.registry, c);
        call.scopes = MergeScopes(call.scopes, c);
        break;
      }
      continue;
    }
    bool sink_touched = call.sink && r.bytes_received > 0;
    if (IsRetryable(r) && call.retry && !sink_touched && attempt < options_.retry.max_attempts) {
      auto after = r.ok() ? r.headers.Get("Retry-After") : std::nullopt;
      auto delay = RetryDelay(options_.retry, attempt,
                              after ? ParseRetryAfter(*after, std::time(nullptr)) : std::nullopt,
                              Random01());
      Log(call.what + ": " + (r.ok() ? "HTTP " + std::to_string(r.status) : r.error) +
          "; retrying in " + std::to_string(delay.count()) + " ms");
      KILN_TRY(SleepUnlessCancelled(delay));
      continue;
    }
    if (!r.ok()) return Fail(TransportError(call, r, attempt, hosts_));
    return r;
  }
}

bool Transient(const core::Error& error, NetFailure failure) {
  return error.code == ErrorCode::kNetwork && failure != NetFailure::kRefused &&
         failure != NetFailure::kRedirectLoop;
}

core::Error ResponseError(const Call& call, const HttpResponse& r) {
  std::string detail;
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("errors") && j["errors"].is_array()) {
      for (const auto& e : j["errors"]) {
        if (!e.is_object()) continue;
        detail += detail.empty() ? " (" : "; ";
        detail += e.value("code", std::string("?")) + ": " + e.value("message", std::string());
      }
      if (!detail.empty()) detail += ")";
    }
  } catch (const std::exception&) {
  }
  ErrorCode code = ErrorCode::kNetwork;
  if (r.status == 401 || r.status == 403) code = ErrorCode::kUnauthorized;
  if (r.status == 404) code = ErrorCode::kNotFound;
  std::string msg = call.what + ": HTTP " + std::to_string(r.status) +
                    (r.reason.empty() ? "" : " " + r.reason) + detail;
  if (code == ErrorCode::kUnauthorized)
    msg += " (check the credentials: kiln login " + call.registry + ")";
  return core::Error{code, msg, std::nullopt};
}

}  // namespace kiln::registry

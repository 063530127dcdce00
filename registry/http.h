// HTTP vocabulary of the registry client: one request, one response, header lookup. The
// Transport (transport.h) sends an HttpRequest and fills an HttpResponse; everything above it
// (auth, retries, the distribution protocol) speaks these types only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/io.h"

namespace kiln::registry {

// Header list; names compared case-insensitively, several values per name allowed.
class Headers {
 public:
  void Add(std::string name, std::string value);
  void Set(std::string name, std::string value);  // replaces every value of `name`
  void Remove(std::string_view name);
  // First value of `name`, or nullopt.
  std::optional<std::string> Get(std::string_view name) const;
  std::vector<std::string> GetAll(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  void Clear() { items_.clear(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// TLS settings of one request; chosen per registry host by HostPolicy (host_policy.h).
struct TlsSettings {
  bool verify = true;                  // false only for --insecure-registry hosts
  std::vector<std::string> ca_files;   // PEM files trusted in addition to the system CAs
  std::string client_cert, client_key;  // PEM client certificate pair (certs.d *.cert/*.key)
};

struct HttpRequest {
  std::string method = "GET";  // GET HEAD POST PUT PATCH DELETE
  std::string url;
  Headers headers;
  // Request body streamed from `body` (not owned); `body_size` bytes are announced as
  // Content-Length and must be delivered. No body: nullptr (POST/PUT/PATCH then send 0 bytes).
  core::Reader* body = nullptr;
  uint64_t body_size = 0;
  // A 2xx response body goes to `sink` (not owned, not Closed) when set, else into
  // HttpResponse::body up to `body_limit` bytes (larger fails). Non-2xx bodies are kept (cut at
  // 64 KiB) for error messages.
  core::Writer* sink = nullptr;
  size_t body_limit = 8 << 20;
  bool follow_redirects = false;  // GET/HEAD of blobs may redirect to storage
  // Called once the final response's status line and headers are in, before its body.
  std::function<void(int status, const Headers& headers)> on_headers;
  TlsSettings tls;
  std::function<bool()> should_abort;  // polled during the transfer (Ctrl-C aborts too)
  int stall_seconds = 60;  // abort when no byte moves for this long
  // Overall deadline of the exchange, connection included; 0 = none. Ending it is
  // NetFailure::kDeadline, which is not retried.
  int timeout_seconds = 0;
};

// Why a request got no HTTP response.
enum class NetFailure {
  kNone,
  kConnect,        // refused, unreachable, connect timeout
  kResolve,        // the host name does not resolve (not retried)
  kTlsHandshake,   // TLS could not be negotiated (e.g. the server speaks plain HTTP)
  kTlsVerify,      // the server's certificate is not trusted
  kTransfer,       // connection dropped or stalled mid-request or mid-response
  kRedirectLoop,   // more redirects than allowed (not retried: the loop would repeat)
  kRefused,        // a URL the host policy refuses (HostPolicy::CheckUrl); not retried
  kDeadline,       // HttpRequest::timeout_seconds passed (a slow drip, a server that never ends)
  kBodySource,     // the request body Reader failed (error in body_error)
  kBodySink,       // the response sink Writer failed (error in body_error)
  kAborted,        // cancelled
  kOther,
};

struct HttpResponse {
  NetFailure failure = NetFailure::kNone;
  std::string error;              // transport message when failure != kNone
  std::optional<core::Error> body_error;  // from the body Reader / sink Writer
  int status = 0;
  std::string reason;  // "Not Found"
  Headers headers;
  std::string body;
  uint64_t bytes_sent = 0;      // request body bytes handed to the connection
  uint64_t bytes_received = 0;  // response body bytes received (2xx to sink or body)
  std::string effective_url;    // after redirects

  bool ok() const { return failure == NetFailure::kNone; }
  bool success() const { return ok() && status >= 200 && status < 300; }
};

// Lower-cases ASCII.
std::string AsciiLower(std::string_view s);

// Percent-encodes a query parameter value.
std::string UrlEncode(std::string_view s);

}  // namespace kiln::registry

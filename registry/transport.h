// The Transport seam (ARCHITECTURE "Seams"): sends one HTTP request and returns its response.
// The real implementation is libcurl (curl_transport.cc); auth, retries and the distribution
// protocol are built above it in Session and Client.
#pragma once

#include <memory>

#include "registry/http.h"

namespace kiln::registry {

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` and waits for the whole response. Never fails as a Result: a request that
  // got no response says why in HttpResponse::failure. Thread-safe: requests may run in parallel.
  virtual HttpResponse Send(const HttpRequest& request) = 0;
};

// libcurl with connection reuse (a pool of handles), system CAs plus the request's extra CAs,
// HTTP/1.1, no "Expect: 100-continue".
std::unique_ptr<Transport> MakeCurlTransport();

}  // namespace kiln::registry

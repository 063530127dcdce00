// When and how long to wait before repeating a registry request: capped exponential backoff
// with jitter on connection errors, 408, 429 and 5xx, honouring Retry-After.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "registry/http.h"

namespace kiln::registry {

struct RetryPolicy {
  int max_attempts = 5;                                   // first try included
  std::chrono::milliseconds initial{500};                 // wait after the first failure
  double factor = 2.0;
  std::chrono::milliseconds max_delay{8000};              // cap of the backoff
  std::chrono::milliseconds max_retry_after{60000};       // cap of a server's Retry-After
  double jitter = 0.2;                                    // +-20 % of the backoff
};

// Whether a response (or the lack of one) is worth repeating: connection failures and drops,
// 408, 429, 500, 502, 503, 504 (not a host name that does not resolve, not TLS verification,
// not a failing body reader or sink).
bool IsRetryable(const HttpResponse& response);

// Parses Retry-After: delta seconds or an HTTP date (relative to `now_unix`); nullopt if absent
// or malformed.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value, int64_t now_unix);

// Delay before attempt `attempt` + 1 (attempt counts from 1): the server's Retry-After when
// given (capped), else initial * factor^(attempt-1) capped at max_delay, with jitter drawn from
// `unit_random` in [0, 1).
std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int attempt,
                                     std::optional<std::chrono::milliseconds> retry_after,
                                     double unit_random);

// Sleeps `delay` in small steps; fails with kCancelled on Ctrl-C.
core::Status SleepUnlessCancelled(std::chrono::milliseconds delay);

}  // namespace kiln::registry

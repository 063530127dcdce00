#include "registry/retry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <thread>

#include "core/cancel.h"

namespace kiln::registry {

bool IsRetryable(const HttpResponse& r) {
  switch (r.failure) {
    case NetFailure::kConnect:
    case NetFailure::kTransfer:
    case NetFailure::kOther: return true;
    case NetFailure::kNone: break;
    default: return false;
  }
  return r.status == 408 || r.status == 429 || r.status == 500 || r.status == 502 ||
         r.status == 503 || r.status == 504;
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view v, int64_t now_unix) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (ec == std::errc() && p == v.data() + v.size())
    return secs < 0 ? std::nullopt : std::optional(std::chrono::milliseconds(secs * 1000));
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  std::tm tm{};
  std::string s(v);
  if (!strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  int64_t at = timegm(&tm);
  return std::chrono::milliseconds(std::max<int64_t>(0, at - now_unix) * 1000);
}

std::chrono::milliseconds RetryDelay(const RetryPolicy& policy, int attempt,
                                     std::optional<std::chrono::milliseconds> retry_after,
                                     double unit_random) {
  if (retry_after) return std::min(*retry_after, policy.max_retry_after);
  double base = policy.initial.count() * std::pow(policy.factor, std::max(0, attempt - 1));
  base = std::min(base, static_cast<double>(policy.max_delay.count()));
  double jittered = base * (1.0 + policy.jitter * (2.0 * unit_random - 1.0));
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.0, jittered)));
}

core::Status SleepUnlessCancelled(std::chrono::milliseconds delay) {
  auto end = std::chrono::steady_clock::now() + delay;
  while (std::chrono::steady_clock::now() < end) {
    KILN_TRY(core::CheckCancelled());
    auto left = end - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        left, std::chrono::milliseconds(50)));
  }
  return core::CheckCancelled();
}

}  // namespace kiln::registry

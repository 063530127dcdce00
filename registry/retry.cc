#include "registry/retry.h"

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cmath>
#include <iterator>
#include <string>
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

namespace {

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 IMF-fixdate; names in any case, one- or two-digit
// day) as Unix seconds. Parsed here rather than with strptime/timegm, which Windows lacks.
std::optional<int64_t> ParseImfFixdate(std::string_view v) {
  static constexpr std::string_view kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  static constexpr std::string_view kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"};
  auto lower3 = [](std::string_view s) {
    std::string out(s.substr(0, 3));
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  };
  auto number = [&](size_t digits_max, int64_t& out) {
    size_t n = 0;
    out = 0;
    while (n < digits_max && n < v.size() && v[n] >= '0' && v[n] <= '9') out = out * 10 + (v[n++] - '0');
    v.remove_prefix(n);
    return n > 0;
  };
  auto skip = [&](char c) {
    if (v.empty() || v.front() != c) return false;
    v.remove_prefix(1);
    return true;
  };
  auto spaces = [&] {
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  };
  if (v.size() < 3 || std::find(std::begin(kDays), std::end(kDays), lower3(v)) == std::end(kDays))
    return std::nullopt;
  while (!v.empty() && std::isalpha(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  if (!skip(',')) return std::nullopt;
  spaces();
  int64_t day, year, hour, minute, second;
  if (!number(2, day)) return std::nullopt;
  spaces();
  if (v.size() < 3) return std::nullopt;
  auto month_it = std::find(std::begin(kMonths), std::end(kMonths), lower3(v));
  if (month_it == std::end(kMonths)) return std::nullopt;
  int64_t month = month_it - std::begin(kMonths) + 1;
  while (!v.empty() && std::isalpha(static_cast<unsigned char>(v.front()))) v.remove_prefix(1);
  spaces();
  if (!number(4, year)) return std::nullopt;
  spaces();
  if (!number(2, hour) || !skip(':') || !number(2, minute) || !skip(':') || !number(2, second))
    return std::nullopt;
  spaces();
  if (!v.starts_with("GMT")) return std::nullopt;
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
  int64_t y = year - (month <= 2);
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  int64_t days = era * 146097 + doe - 719468;
  return days * 86400 + hour * 3600 + minute * 60 + second;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view v, int64_t now_unix) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.empty()) return std::nullopt;
  int64_t secs = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), secs);
  if (ec == std::errc() && p == v.data() + v.size())
    return secs < 0 ? std::nullopt : std::optional(std::chrono::milliseconds(secs * 1000));
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT".
  auto at = ParseImfFixdate(v);
  if (!at) return std::nullopt;
  return std::chrono::milliseconds(std::max<int64_t>(0, *at - now_unix) * 1000);
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

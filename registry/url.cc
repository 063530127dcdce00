#include "registry/url.h"

#include <curl/curl.h>

#include <memory>

#include "registry/http.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
using UrlHandle = std::unique_ptr<CURLU, UrlDeleter>;

// One part of a parsed URL, or "" when absent.
std::string Part(CURLU* u, CURLUPart part, unsigned flags = 0) {
  char* value = nullptr;
  if (curl_url_get(u, part, &value, flags) != CURLUE_OK || !value) return "";
  std::string out(value);
  curl_free(value);
  return out;
}

// Shown in messages: at most 200 bytes, control characters replaced, so a hostile Location
// cannot spill into the terminal.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 200)) out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  if (s.size() > 200) out += "...";
  return out;
}

}  // namespace

core::Result<Url> ParseUrl(std::string_view text) {
  UrlHandle u(curl_url());
  if (!u) return Fail(ErrorCode::kInternal, "out of memory parsing a URL");
  std::string s(text);
  // No CURLU_GUESS_SCHEME and no CURLU_NON_SUPPORT_SCHEME: a URL must say http or https.
  // A NUL would end the C string curl reads early: refuse it rather than check a prefix.
  if (text.find('\0') != std::string_view::npos ||
      curl_url_set(u.get(), CURLUPART_URL, s.c_str(), 0) != CURLUE_OK)
    return Fail(ErrorCode::kInvalidInput, "not a valid URL: \"" + Printable(text) + "\"");
  Url url;
  url.scheme = AsciiLower(Part(u.get(), CURLUPART_SCHEME));
  if (url.scheme != "http" && url.scheme != "https")
    return Fail(ErrorCode::kInvalidInput,
                "not an http or https URL: \"" + Printable(text) + "\"");
  url.host = AsciiLower(Part(u.get(), CURLUPART_HOST));
  url.port = Part(u.get(), CURLUPART_PORT, CURLU_NO_DEFAULT_PORT);  // ":443" on https is ""
  url.has_userinfo = !Part(u.get(), CURLUPART_USER).empty() ||
                     !Part(u.get(), CURLUPART_PASSWORD).empty() ||
                     !Part(u.get(), CURLUPART_OPTIONS).empty();
  url.text = Part(u.get(), CURLUPART_URL);
  if (url.host.empty() || url.text.empty())
    return Fail(ErrorCode::kInvalidInput, "a URL without a host: \"" + Printable(text) + "\"");
  return url;
}

core::Result<std::string> ResolveUrl(std::string_view base, std::string_view location) {
  UrlHandle u(curl_url());
  if (!u) return Fail(ErrorCode::kInternal, "out of memory parsing a URL");
  std::string b(base), l(location);
  if (base.find('\0') != std::string_view::npos || location.find('\0') != std::string_view::npos ||
      curl_url_set(u.get(), CURLUPART_URL, b.c_str(), 0) != CURLUE_OK)
    return Fail(ErrorCode::kInvalidInput, "not a valid URL: \"" + Printable(base) + "\"");
  // Setting a URL on a handle that holds one resolves it as a (possibly relative) reference.
  if (curl_url_set(u.get(), CURLUPART_URL, l.c_str(), 0) != CURLUE_OK)
    return Fail(ErrorCode::kInvalidInput, "not a valid URL reference: \"" + Printable(location) + "\"");
  std::string out = Part(u.get(), CURLUPART_URL);
  if (out.empty()) return Fail(ErrorCode::kInvalidInput, "not a valid URL: \"" + Printable(location) + "\"");
  return out;
}

}  // namespace kiln::registry

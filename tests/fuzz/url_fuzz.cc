// libFuzzer harness: URLs as a hostile registry sends them — token realms inside WWW-Authenticate
// challenges, upload Locations and redirects (absolute, relative, scheme-relative) — through
// ParseChallenges, ResolveUrl, ParseUrl and HostPolicy::CheckUrl. Beyond "no crash", it checks
// the boundary itself: a URL CheckUrl accepts has no user information, uses plain HTTP only
// towards a loopback host, and parses again (from its normalised text) to the same host.
// fuzz-seeds: tests/fuzz/seeds/url
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/reference.h"
#include "registry/challenge.h"
#include "registry/host_policy.h"
#include "registry/url.h"

using namespace kiln;
using namespace kiln::registry;

namespace {

const HostPolicy& Policy() {
  static const HostPolicy policy(HostPolicyOptions{});  // no --insecure-registry hosts
  return policy;
}

void Check(std::string_view url) {
  auto checked = Policy().CheckUrl(url, "fuzz");
  if (!checked) return;
  if (checked->has_userinfo) std::abort();
  if (checked->scheme != "https" && !(checked->scheme == "http" &&
                                      core::IsLoopbackHost(checked->HostPort())))
    std::abort();
  auto again = ParseUrl(checked->text);
  if (!again || again->host != checked->host || again->port != checked->port ||
      again->scheme != checked->scheme || again->has_userinfo)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  Check(text);
  for (const char* base : {"http://127.0.0.1:5000/v2/a/b/blobs/uploads/",
                           "https://registry.example:443/v2/x/blobs/sha256:00?y=1"}) {
    auto resolved = ResolveUrl(base, text);
    if (resolved) Check(*resolved);
  }
  for (const auto& c : ParseChallenges({text})) Check(c.Param("realm"));
  return 0;
}

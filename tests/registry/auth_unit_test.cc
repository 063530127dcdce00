// Pure pieces of the registry client: WWW-Authenticate parsing, retry timing, base64, URLs.
#include <catch2/catch.hpp>

#include "registry/authenticator.h"
#include "registry/base64.h"
#include "registry/challenge.h"
#include "registry/http.h"
#include "registry/host_policy.h"
#include "registry/retry.h"
#include "registry/url.h"

using namespace kiln::registry;
using std::chrono::milliseconds;

TEST_CASE("bearer and basic challenges parse with quoted and bare values", "[unit]") {
  auto cs = ParseChallenges({R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push")",
                             "Basic realm=kiln-test-realm"});
  REQUIRE(cs.size() == 2);
  CHECK(cs[0].scheme == "bearer");
  CHECK(cs[0].Param("realm") == "https://auth.docker.io/token");
  CHECK(cs[0].Param("service") == "registry.docker.io");
  CHECK(cs[0].Param("scope") == "repository:samalba/my-app:pull,push");
  CHECK(cs[1].scheme == "basic");
  CHECK(cs[1].Param("realm") == "kiln-test-realm");
  // Two challenges in one header value, escaped quotes, odd spacing.
  auto two = ParseChallenges({R"(Basic realm="a \"b\"" , Bearer  realm = "r", error="insufficient_scope")"});
  REQUIRE(two.size() == 2);
  CHECK(two[0].Param("realm") == "a \"b\"");
  CHECK(two[1].Param("error") == "insufficient_scope");
  CHECK(ParseChallenges({""}).empty());
}

TEST_CASE("scopes from a 401 challenge are merged without duplicates", "[unit]") {
  Challenge c{"bearer", {{"scope", "repository:a:pull repository:b:pull,push"}}};
  auto merged = MergeScopes({"repository:a:pull"}, c);
  CHECK(merged == std::vector<std::string>{"repository:a:pull", "repository:b:pull,push"});
}

TEST_CASE("retries back off exponentially with jitter, capped, and honour Retry-After", "[unit]") {
  RetryPolicy p;  // 500 ms, x2, cap 8 s, +-20 %
  CHECK(RetryDelay(p, 1, std::nullopt, 0.5) == milliseconds(500));
  CHECK(RetryDelay(p, 2, std::nullopt, 0.5) == milliseconds(1000));
  CHECK(RetryDelay(p, 3, std::nullopt, 0.0) == milliseconds(1600));  // 2000 - 20 %
  CHECK(RetryDelay(p, 3, std::nullopt, 1.0) == milliseconds(2400));  // 2000 + 20 %
  CHECK(RetryDelay(p, 10, std::nullopt, 0.5) == milliseconds(8000));  // capped
  CHECK(RetryDelay(p, 1, milliseconds(3000), 0.9) == milliseconds(3000));
  CHECK(RetryDelay(p, 1, milliseconds(3600000), 0.5) == milliseconds(60000));  // capped
  CHECK(ParseRetryAfter("7", 0) == milliseconds(7000));
  CHECK(ParseRetryAfter(" 0 ", 0) == milliseconds(0));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770) == milliseconds(7000));
  CHECK(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111790) == milliseconds(0));
  CHECK_FALSE(ParseRetryAfter("soon", 0));
  CHECK_FALSE(ParseRetryAfter("-3", 0));
}

TEST_CASE("connection failures and 408, 429, 5xx are retryable, client errors are not", "[unit]") {
  auto status = [](int s) {
    HttpResponse r;
    r.status = s;
    return IsRetryable(r);
  };
  for (int s : {408, 429, 500, 502, 503, 504}) CHECK(status(s));
  for (int s : {200, 201, 400, 401, 403, 404, 416, 501}) CHECK_FALSE(status(s));
  HttpResponse dropped;
  dropped.failure = NetFailure::kTransfer;
  CHECK(IsRetryable(dropped));
  HttpResponse untrusted;
  untrusted.failure = NetFailure::kTlsVerify;
  CHECK_FALSE(IsRetryable(untrusted));
  HttpResponse sink;
  sink.failure = NetFailure::kBodySink;
  CHECK_FALSE(IsRetryable(sink));
  HttpResponse unresolved;  // a name that does not resolve now will not in a few seconds
  unresolved.failure = NetFailure::kResolve;
  CHECK_FALSE(IsRetryable(unresolved));
}

TEST_CASE("base64 round-trips and rejects malformed input", "[unit]") {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "user:p@ss:w0rd"})
    CHECK(Base64Decode(Base64Encode(s)) == s);
  CHECK(Base64Encode("foobar") == "Zm9vYmFy");
  CHECK(Base64Encode("fo") == "Zm8=");
  CHECK_FALSE(Base64Decode("Zm9"));
  CHECK_FALSE(Base64Decode("Zm=v"));
  CHECK_FALSE(Base64Decode("Zm9v!A=="));
}

TEST_CASE("upload Locations resolve against the request URL", "[unit]") {
  CHECK(ResolveUrl("http://h:5000/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/u?_state=x") ==
        "http://h:5000/v2/a/blobs/uploads/u?_state=x");
  CHECK(ResolveUrl("http://h:5000/v2/a/", "https://s3.example/x") == "https://s3.example/x");
  CHECK(ResolveUrl("http://h:5000/v2/a/b", "c?d") == "http://h:5000/v2/a/c?d");
  CHECK(ResolveUrl("https://h/v2/a/", "//other:81/x") == "https://other:81/x");
  CHECK(UrlEncode("sha256:ab/c d") == "sha256%3Aab%2Fc%20d");
  Headers h;
  h.Add("Docker-Content-Digest", "sha256:1");
  CHECK(h.Get("docker-content-digest") == "sha256:1");
  h.Set("DOCKER-content-digest", "sha256:2");
  CHECK(h.GetAll("Docker-Content-Digest") == std::vector<std::string>{"sha256:2"});
}

TEST_CASE("URLs are split where curl splits them: userinfo, ports, IPv4 forms, IPv6", "[unit]") {
  auto u = ParseUrl("http://127.0.0.1:1@10.77.0.1:5103/token?x=1");
  REQUIRE(u);
  CHECK(u->host == "10.77.0.1");  // not "127.0.0.1": that is the user name
  CHECK(u->port == "5103");
  CHECK(u->has_userinfo);
  u = ParseUrl("HTTP://LocalHost:5000/v2/");
  REQUIRE(u);
  CHECK(u->scheme == "http");
  CHECK(u->HostPort() == "localhost:5000");
  CHECK_FALSE(u->has_userinfo);
  u = ParseUrl("http://0x7f.1/x");  // curl connects to 127.0.0.1
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  u = ParseUrl("https://[::1]:5000/v2/");
  REQUIRE(u);
  CHECK(u->HostPort() == "[::1]:5000");
  u = ParseUrl("https://Registry.Example:443/v2/");  // the default port is no port
  REQUIRE(u);
  CHECK(u->Origin() == "https://registry.example");
  CHECK_FALSE(ParseUrl("ftp://127.0.0.1/x"));
  CHECK_FALSE(ParseUrl("/v2/relative"));
  CHECK_FALSE(ParseUrl("127.0.0.1:5000/v2/"));  // no scheme: curl would guess one
  CHECK_FALSE(ParseUrl(std::string("http://a\0b/", 11)));  // a NUL curl would cut at
}

TEST_CASE("plain HTTP is allowed to the contacted host only when it is loopback or insecure",
          "[unit]") {
  HostPolicy none(HostPolicyOptions{});
  CHECK(none.CheckUrl("http://127.0.0.1:5000/v2/", "the registry"));
  CHECK(none.CheckUrl("http://localhost/token", "the token realm"));
  CHECK(none.CheckUrl("http://[::1]:5000/v2/", "the registry"));
  CHECK(none.CheckUrl("https://10.77.0.1:5000/v2/", "the registry"));
  auto userinfo = none.CheckUrl("http://127.0.0.1:1@10.77.0.1:5103/token", "the token realm");
  REQUIRE_FALSE(userinfo);
  CHECK_THAT(userinfo.error().message, Catch::Contains("user information"));
  CHECK_THAT(userinfo.error().message, Catch::Contains("10.77.0.1:5103"));
  CHECK_FALSE(none.CheckUrl("https://user:pw@s3.example/x", "a redirect to"));
  auto plain = none.CheckUrl("http://10.77.0.1:5000/v2/x/blobs/uploads/u", "the upload location");
  REQUIRE_FALSE(plain);
  CHECK_THAT(plain.error().message, Catch::Contains("--insecure-registry 10.77.0.1:5000"));
  CHECK_FALSE(none.CheckUrl("http://127.0.0.1.example.com/x", "a redirect to"));
  CHECK_FALSE(none.CheckUrl("http://127.0.0.1%2f@10.77.0.1/x", "a redirect to"));
  HostPolicyOptions o;
  o.insecure_registries = {"10.77.0.1:5000"};
  HostPolicy insecure(o);
  CHECK(insecure.CheckUrl("http://10.77.0.1:5000/v2/x", "the upload location"));
  CHECK_FALSE(insecure.CheckUrl("http://10.77.0.1:5001/v2/x", "the upload location"));
}

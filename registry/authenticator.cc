#include "registry/authenticator.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/reference.h"
#include "core/io.h"
#include "registry/base64.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

std::string TokenServerMessage(const HttpResponse& r) {
  try {
    auto j = nlohmann::json::parse(r.body);
    for (const char* key : {"details", "error_description", "error"})
      if (j.contains(key) && j[key].is_string()) return ": " + j[key].get<std::string>();
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty())
      return ": " + j["errors"][0].value("message", std::string());
  } catch (const std::exception&) {
  }
  return "";
}

}  // namespace

std::vector<std::string> MergeScopes(std::vector<std::string> scopes, const Challenge& c) {
  std::string s = c.Param("scope");
  for (size_t start = 0; start < s.size();) {
    size_t sp = s.find(' ', start);
    std::string one = s.substr(start, sp == std::string::npos ? std::string::npos : sp - start);
    if (!one.empty() && std::find(scopes.begin(), scopes.end(), one) == scopes.end())
      scopes.push_back(one);
    if (sp == std::string::npos) break;
    start = sp + 1;
  }
  return scopes;
}

Authenticator::Authenticator(Transport& transport, const HostPolicy& hosts,
                             std::string config_dir, LogFn log, int timeout_seconds)
    : transport_(transport),
      hosts_(hosts),
      store_(std::move(config_dir)),
      log_(std::move(log)),
      timeout_seconds_(timeout_seconds) {}

void Authenticator::SetCredentials(const std::string& registry, Credentials creds) {
  std::lock_guard lock(mu_);
  creds_[registry] = std::move(creds);
}

core::Result<Credentials> Authenticator::CredentialsFor(const std::string& registry) {
  {
    std::lock_guard lock(mu_);
    if (auto it = creds_.find(registry); it != creds_.end()) return it->second;
  }
  auto c = store_.Lookup(registry);
  if (!c) return Fail(c.error().Wrap("reading credentials for " + registry));
  std::lock_guard lock(mu_);
  creds_[registry] = *c;
  return *c;
}

void Authenticator::SetChallenge(const std::string& registry, const Challenge& challenge) {
  std::lock_guard lock(mu_);
  challenges_[registry] = challenge;
}

bool Authenticator::RequiresAuth(const std::string& registry) {
  std::lock_guard lock(mu_);
  return challenges_.contains(registry);
}

std::string Authenticator::CacheKey(const std::string& registry,
                                    const std::vector<std::string>& scopes) const {
  std::vector<std::string> sorted = scopes;
  std::sort(sorted.begin(), sorted.end());
  std::string key = registry;
  for (const auto& s : sorted) key += " " + s;
  return key;
}

void Authenticator::Invalidate(const std::string& registry, const std::vector<std::string>& scopes) {
  std::lock_guard lock(mu_);
  tokens_.erase(CacheKey(registry, scopes));
}

core::Result<std::optional<std::string>> Authenticator::HeaderFor(
    const std::string& registry, const std::vector<std::string>& scopes) {
  std::optional<Challenge> challenge;
  {
    std::lock_guard lock(mu_);
    if (auto it = challenges_.find(registry); it != challenges_.end()) challenge = it->second;
  }
  if (!challenge) return std::optional<std::string>();
  KILN_ASSIGN(Credentials creds, CredentialsFor(registry));
  if (!creds.registry_token.empty()) return std::optional("Bearer " + creds.registry_token);
  if (challenge->scheme == "basic") {
    if (creds.username.empty() && creds.password.empty()) return std::optional<std::string>();
    return std::optional("Basic " + Base64Encode(creds.username + ":" + creds.password));
  }
  if (challenge->scheme != "bearer") return std::optional<std::string>();
  std::string key = CacheKey(registry, scopes);
  // One token fetch at a time: parallel blob transfers of one push share the same token.
  std::lock_guard fetch_lock(fetch_mu_);
  {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && it->second.expires > std::chrono::steady_clock::now())
      return std::optional("Bearer " + it->second.value);
  }
  KILN_ASSIGN(std::string token, FetchToken(registry, *challenge, scopes));
  return std::optional("Bearer " + token);
}

core::Result<std::string> Authenticator::FetchToken(const std::string& registry,
                                                    const Challenge& challenge,
                                                    const std::vector<std::string>& scopes) {
  std::string realm = challenge.Param("realm");
  if (realm.empty())
    return Fail(ErrorCode::kUnauthorized, registry + " asked for a bearer token without a realm");
  // The realm decides where the credentials go: check the host curl will connect to.
  auto realm_url = hosts_.CheckUrl(realm, "the token realm of " + registry);
  if (!realm_url) return Fail(ErrorCode::kUnauthorized, realm_url.error().message);
  std::string realm_host = realm_url->HostPort();
  realm = realm_url->text;  // exactly what was checked
  KILN_ASSIGN(Credentials creds, CredentialsFor(registry));
  std::string service = challenge.Param("service");
  HttpRequest req;
  req.tls = hosts_.TlsFor(realm_host);
  std::string form;
  core::StringReader body("");
  if (!creds.identity_token.empty()) {  // OAuth2 refresh-token grant, as docker does
    std::string scope_list;
    for (const auto& s : scopes) scope_list += (scope_list.empty() ? "" : " ") + s;
    form = "grant_type=refresh_token&client_id=kiln&service=" + UrlEncode(service) +
           "&scope=" + UrlEncode(scope_list) + "&refresh_token=" + UrlEncode(creds.identity_token);
    body = core::StringReader(form);
    req.method = "POST";
    req.url = realm;
    req.headers.Add("Content-Type", "application/x-www-form-urlencoded");
    req.body = &body;
    req.body_size = form.size();
  } else {
    std::string url = realm + (realm.find('?') == std::string::npos ? "?" : "&");
    url += "service=" + UrlEncode(service);
    for (const auto& s : scopes) url += "&scope=" + UrlEncode(s);
    if (!creds.username.empty()) {
      url += "&account=" + UrlEncode(creds.username);
      req.headers.Add("Authorization",
                      "Basic " + Base64Encode(creds.username + ":" + creds.password));
    }
    req.url = url;
  }
  req.timeout_seconds = timeout_seconds_;
  auto started = std::chrono::steady_clock::now();
  HttpResponse r = transport_.Send(req);
  if (log_)
    log_("token " + req.method + " " + realm + " scopes=[" + CacheKey("", scopes) + " ] -> " +
         (r.ok() ? std::to_string(r.status) : r.error));
  if (!r.ok())
    return Fail(ErrorCode::kNetwork, "fetching a token for " + registry + " from " + realm + ": " + r.error);
  if (r.status == 401 || r.status == 403)
    return Fail(ErrorCode::kUnauthorized,
                "the token server " + realm + " refused the credentials for " + registry +
                    (creds.username.empty() ? " (no credentials; run kiln login " + registry + ")"
                                            : " (user " + creds.username + ")") +
                    TokenServerMessage(r));
  if (r.status != 200)
    return Fail(ErrorCode::kNetwork, "fetching a token for " + registry + " from " + realm +
                                         ": HTTP " + std::to_string(r.status) + TokenServerMessage(r));
  std::string token;
  int64_t expires_in = 60;
  try {
    auto j = nlohmann::json::parse(r.body);
    token = j.value("token", std::string());
    if (token.empty()) token = j.value("access_token", std::string());
    if (j.contains("expires_in") && j["expires_in"].is_number()) expires_in = j["expires_in"];
  } catch (const std::exception&) {
  }
  if (token.empty())
    return Fail(ErrorCode::kUnauthorized, "the token server " + realm + " sent no token for " + registry);
  // Renew 10 s early (and never trust a lifetime below 60 s: docker's rule for a missing one).
  auto lifetime = std::chrono::seconds(std::max<int64_t>(expires_in, 60) - 10);
  std::lock_guard lock(mu_);
  tokens_[CacheKey(registry, scopes)] = Token{token, started + lifetime};
  return token;
}

}  // namespace kiln::registry

// Client: construction, manifests, tags, blob existence, mounts, login check. Blob transfers
// are in blob_pull.cc and blob_push.cc.
#include "registry/client.h"

#include <nlohmann/json.hpp>

#include "core/media_types.h"
#include "registry/url.h"

namespace kiln::registry {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr size_t kManifestLimit = 8 << 20;  // the spec asks registries to accept >= 4 MB

SessionOptions MakeSessionOptions(const ClientOptions& o) {
  SessionOptions s;
  s.config_dir = DockerConfigDir(o.config_dir);
  s.hosts.insecure_registries = o.insecure_registries;
  s.hosts.ca_cert = o.ca_cert;
  s.hosts.certs_dirs = o.certs_dirs.empty() ? DefaultCertsDirs(s.config_dir) : o.certs_dirs;
  s.retry = o.retry;
  s.debug_log = o.debug_log;
  s.timeout_seconds = o.timeout_seconds;
  return s;
}

// The error code of a manifest PUT refused because of its blobs, or nullopt.
std::optional<std::string> BlobProblem(const HttpResponse& r) {
  if (r.status != 400 && r.status != 404) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(r.body);
    if (!j.contains("errors") || !j["errors"].is_array()) return std::nullopt;
    for (const auto& e : j["errors"]) {
      std::string code = e.is_object() ? e.value("code", std::string()) : std::string();
      if (code == "MANIFEST_BLOB_UNKNOWN" || code == "BLOB_UNKNOWN" || code == "DIGEST_INVALID")
        return code;
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string AcceptAll() {
  return std::string(core::media::kOciManifest) + ", " + std::string(core::media::kOciIndex) +
         ", " + std::string(core::media::kDockerManifest) + ", " +
         std::string(core::media::kDockerManifestList);
}

// The next page of a tag listing from a Link header: `</v2/x/tags/list?n=..&last=..>; rel="next"`.
std::string NextLink(const Headers& h) {
  auto link = h.Get("Link");
  if (!link || link->find("rel=\"next\"") == std::string::npos) return "";
  size_t open = link->find('<'), close = link->find('>');
  if (open == std::string::npos || close == std::string::npos || close < open) return "";
  return link->substr(open + 1, close - open - 1);
}

}  // namespace

std::string RepoPath(const core::Reference& ref, std::string_view rest) {
  return "/v2/" + ref.repository() + "/" + std::string(rest);
}

core::Descriptor FetchedManifest::descriptor() const {
  core::Descriptor d;
  d.media_type = media_type;
  d.digest = digest;
  d.size = static_cast<int64_t>(bytes.size());
  return d;
}

Client::Client(ClientOptions options, std::shared_ptr<Transport> transport)
    : options_(std::move(options)),
      session_(std::make_unique<Session>(MakeSessionOptions(options_), std::move(transport))) {}

Client::~Client() = default;

core::Result<FetchedManifest> Client::GetManifest(const core::Reference& ref) {
  Call call;
  call.registry = ref.registry();
  call.target = RepoPath(ref, "manifests/" + ref.Identifier());
  call.headers.Add("Accept", AcceptAll());
  call.scopes = {PullScope(ref.repository())};
  call.body_limit = kManifestLimit;
  call.what = "fetching manifest " + ref.ToString();
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (!r.success()) return Fail(ResponseError(call, r));
  FetchedManifest m;
  m.bytes = std::move(r.body);
  std::string type = r.headers.Get("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  if (!core::media::IsManifest(type) && !core::media::IsIndex(type)) {
    auto detected = core::DetectMediaType(m.bytes, type);
    if (!detected) return Fail(detected.error().Wrap(call.what));
    type = *detected;
  }
  m.media_type = type;
  if (ref.has_digest()) {
    core::Hasher h(ref.digest().algorithm());
    h.Update(m.bytes);
    m.digest = h.Finish();
    if (m.digest != ref.digest())
      return Fail(ErrorCode::kNetwork, call.what + ": the registry sent bytes with digest " +
                                           m.digest.ToString() + ", not the one asked for");
  } else {
    m.digest = core::Digest::Sha256Of(m.bytes);
    auto header = r.headers.Get("Docker-Content-Digest");
    if (header && header->starts_with("sha256:") && *header != m.digest.ToString())
      return Fail(ErrorCode::kNetwork, call.what + ": the registry says its digest is " + *header +
                                           " but the bytes hash to " + m.digest.ToString());
  }
  return m;
}

core::Result<std::optional<core::Descriptor>> Client::HeadManifest(const core::Reference& ref) {
  Call call;
  call.registry = ref.registry();
  call.method = "HEAD";
  call.target = RepoPath(ref, "manifests/" + ref.Identifier());
  call.headers.Add("Accept", AcceptAll());
  call.scopes = {PullScope(ref.repository())};
  call.what = "checking manifest " + ref.ToString();
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (r.status == 404) return std::optional<core::Descriptor>();
  if (!r.success()) return Fail(ResponseError(call, r));
  core::Descriptor d;
  std::string type = r.headers.Get("Content-Type").value_or("");
  d.media_type = type.substr(0, type.find(';'));
  if (auto dg = r.headers.Get("Docker-Content-Digest")) {
    auto parsed = core::Digest::Parse(*dg);
    if (parsed) d.digest = *parsed;
  }
  if (d.digest.empty() && ref.has_digest()) d.digest = ref.digest();
  d.size = std::atoll(r.headers.Get("Content-Length").value_or("0").c_str());
  return std::optional(d);
}

core::Result<core::Digest> Client::PutManifest(const core::Reference& ref,
                                               std::string_view media_type,
                                               std::string_view bytes) {
  return PushManifest(ref, media_type, bytes, std::function<core::Status()>());
}

core::Result<core::Digest> Client::PushManifest(const core::Reference& ref,
                                                std::string_view media_type,
                                                std::string_view bytes,
                                                const std::vector<BlobPlan>& plans,
                                                core::ProgressSink* progress) {
  if (plans.empty()) return PushManifest(ref, media_type, bytes, std::function<core::Status()>());
  // Seen with concurrent pushes of one image to docker-registry: a blob it had just accepted is
  // not visible to the manifest check yet (or another push's upload replaced it). Check every
  // blob again, upload what is missing, and try once more.
  return PushManifest(ref, media_type, bytes,
                      [&]() -> core::Status { return EnsureBlobs(ref, plans, progress); });
}

core::Result<core::Digest> Client::PushManifest(const core::Reference& ref,
                                                std::string_view media_type,
                                                std::string_view bytes,
                                                const std::function<core::Status()>& repair) {
  core::Digest digest = core::Digest::Sha256Of(bytes);
  std::string body(bytes);
  Call call;
  call.registry = ref.registry();
  call.method = "PUT";
  call.target = RepoPath(ref, "manifests/" + ref.Identifier());
  call.headers.Add("Content-Type", std::string(media_type));
  call.scopes = {PushScope(ref.repository())};
  call.open_body = [&body]() -> core::Result<std::unique_ptr<core::Reader>> {
    return std::make_unique<core::StringReader>(body);
  };
  call.body_size = body.size();
  call.what = "pushing manifest " + ref.ToString();
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (!r.success() && repair) {
    if (auto code = BlobProblem(r)) {
      session_->Log(call.what + ": the registry answered " + *code +
                    "; checking the blobs again and retrying once");
      KILN_TRY(repair());
      KILN_ASSIGN(r, session_->Send(call));
    }
  }
  if (!r.success()) return Fail(ResponseError(call, r));
  auto header = r.headers.Get("Docker-Content-Digest");
  if (header && header->starts_with("sha256:") && *header != digest.ToString())
    return Fail(ErrorCode::kNetwork, call.what + ": the registry stored digest " + *header +
                                         ", kiln sent " + digest.ToString());
  return digest;
}

core::Result<std::vector<std::string>> Client::ListTags(const core::Reference& ref) {
  std::vector<std::string> tags;
  std::string target = RepoPath(ref, "tags/list?n=1000");
  for (int page = 0; !target.empty() && page < 10000; ++page) {
    Call call;
    call.registry = ref.registry();
    call.target = target;
    call.scopes = {PullScope(ref.repository())};
    call.what = "listing tags of " + ref.Name();
    KILN_ASSIGN(HttpResponse r, session_->Send(call));
    if (!r.success()) return Fail(ResponseError(call, r));
    try {
      auto j = nlohmann::json::parse(r.body);
      if (j.contains("tags") && j["tags"].is_array())
        for (const auto& t : j["tags"])
          if (t.is_string()) tags.push_back(t.get<std::string>());
    } catch (const std::exception& e) {
      return Fail(ErrorCode::kNetwork, call.what + ": malformed answer: " + e.what());
    }
    target = NextLink(r.headers);
  }
  return tags;
}

core::Result<bool> Client::HasBlob(const core::Reference& repo, const core::Digest& digest) {
  Call call;
  call.registry = repo.registry();
  call.method = "HEAD";
  call.target = RepoPath(repo, "blobs/" + digest.ToString());
  call.scopes = {PullScope(repo.repository())};
  call.follow_redirects = true;
  call.what = "checking blob " + digest.ToString() + " in " + repo.Name();
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (r.status == 404) return false;
  if (!r.success()) return Fail(ResponseError(call, r));
  return true;
}

core::Result<bool> Client::MountBlob(const core::Reference& repo, const core::Digest& digest,
                                     const core::Reference& from) {
  Call call;
  call.registry = repo.registry();
  call.method = "POST";
  call.target = RepoPath(repo, "blobs/uploads/?mount=" + UrlEncode(digest.ToString()) +
                                   "&from=" + UrlEncode(from.repository()));
  call.scopes = {PushScope(repo.repository()), PullScope(from.repository())};
  call.what = "mounting blob " + digest.ToString() + " from " + from.Name() + " into " + repo.Name();
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (r.status == 201) return true;
  if (r.status == 202) {  // the registry opened a normal upload instead: cancel it
    auto loc = r.headers.Get("Location");
    auto target = loc ? ResolveUrl(r.effective_url, *loc) : core::Result<std::string>();
    if (loc && target) {
      Call cancel = call;
      cancel.method = "DELETE";
      cancel.target = *target;
      cancel.retry = false;
      (void)session_->Send(cancel);
    }
    return false;
  }
  return Fail(ResponseError(call, r));
}

core::Status Client::CheckLogin(const std::string& registry, const std::string& repository_hint) {
  Call call;
  call.registry = registry;
  call.target = "/v2/";
  if (!repository_hint.empty()) call.scopes = {PullScope(repository_hint)};
  call.what = "logging in to " + registry;
  KILN_ASSIGN(HttpResponse r, session_->Send(call));
  if (r.status == 401 || r.status == 403)
    return Fail(ErrorCode::kUnauthorized, call.what + ": the registry refused the credentials");
  if (!r.success()) return Fail(ResponseError(call, r));
  return {};
}

}  // namespace kiln::registry

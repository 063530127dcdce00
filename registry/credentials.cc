#include "registry/credentials.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/host_env.h"
#include "core/sys_fs.h"
#include "registry/base64.h"
#include "registry/credential_helper.h"

namespace kiln::registry {
namespace {

using Json = nlohmann::ordered_json;
using core::ErrorCode;
using core::Fail;

// "https://index.docker.io/v1/" -> "index.docker.io"; "h:5000" -> "h:5000".
std::string KeyHost(std::string_view key) {
  if (size_t s = key.find("://"); s != std::string_view::npos) key.remove_prefix(s + 3);
  return std::string(key.substr(0, key.find('/')));
}

std::string LookupHost(std::string_view registry) {
  return registry == "docker.io" || registry == "registry-1.docker.io" ? "index.docker.io"
                                                                       : std::string(registry);
}

core::Result<Json> LoadJson(const std::string& path) {
  std::ifstream f(sys::U8Path(path), std::ios::binary);
  if (!f) return Json::object();  // no config yet
  std::stringstream ss;
  ss << f.rdbuf();
  if (ss.str().find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  try {
    Json j = Json::parse(ss.str());
    if (!j.is_object()) return Fail(ErrorCode::kInvalidInput, path + ": not a JSON object");
    return j;
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInvalidInput, path + ": malformed JSON: " + e.what());
  }
}

core::Status SaveJson(const std::string& dir, const std::string& path, const Json& j) {
  if (sys::MakeDir(dir, 0700) != 0 && errno != EEXIST)
    return Fail(ErrorCode::kIo, "cannot create " + dir + ": " + sys::ErrorText(errno));
  std::string tmp = path + ".kiln-tmp";
  int fd = sys::Open(tmp, sys::kWrite | sys::kCreate | sys::kTruncate, 0600);
  if (fd < 0) return Fail(ErrorCode::kIo, "cannot write " + tmp + ": " + sys::ErrorText(errno));
  std::string text = j.dump(1, '\t') + "\n";
  bool ok = sys::WriteAll(fd, text.data(), text.size()) == 0 && sys::Fsync(fd) == 0;
  ok = sys::Close(fd) == 0 && ok;
  if (!ok || sys::Rename(tmp, path) != 0) {
    int e = errno;
    sys::Unlink(tmp);
    return Fail(ErrorCode::kIo, "cannot write " + path + ": " + sys::ErrorText(e));
  }
  return {};
}

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

core::Result<Credentials> FromAuthEntry(const Json& e, const std::string& path) {
  Credentials c;
  if (std::string auth = Str(e, "auth"); !auth.empty()) {
    auto decoded = Base64Decode(auth);
    size_t colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      return Fail(ErrorCode::kInvalidInput, path + ": an \"auth\" entry is not base64 of user:password");
    c.username = decoded->substr(0, colon);
    c.password = decoded->substr(colon + 1);
  } else {
    c.username = Str(e, "username");
    c.password = Str(e, "password");
  }
  c.identity_token = Str(e, "identitytoken");
  c.registry_token = Str(e, "registrytoken");
  return c;
}

core::Result<Credentials> FromHelper(const std::string& helper, const std::string& key) {
  KILN_ASSIGN(auto r, RunCredentialHelper(helper, "get", key));
  if (r.exit_code != 0) {
    if (r.out.find("credentials not found") != std::string::npos) return Credentials{};
    return Fail(ErrorCode::kUnauthorized, "credential helper docker-credential-" + helper +
                                              " failed for " + key + " (exit " +
                                              std::to_string(r.exit_code) + ")");
  }
  try {
    Json j = Json::parse(r.out);
    Credentials c;
    std::string user = Str(j, "Username");
    if (user == "<token>") {
      c.identity_token = Str(j, "Secret");
    } else {
      c.username = user;
      c.password = Str(j, "Secret");
    }
    return c;
  } catch (const std::exception&) {
    return Fail(ErrorCode::kUnauthorized,
                "credential helper docker-credential-" + helper + " printed malformed JSON");
  }
}

}  // namespace

std::string DockerConfigDir(std::string_view flag) {
  if (!flag.empty()) return std::string(flag);
  return core::DefaultDockerConfigDir();
}

std::string CredentialKey(std::string_view registry) {
  return LookupHost(registry) == "index.docker.io" ? "https://index.docker.io/v1/"
                                                   : std::string(registry);
}

CredentialStore::CredentialStore(std::string config_dir)
    : dir_(std::move(config_dir)), path_(dir_ + "/config.json") {}

core::Result<std::string> CredentialStore::HelperFor(std::string_view registry) const {
  KILN_ASSIGN(Json j, LoadJson(path_));
  std::string host = LookupHost(registry);
  if (auto h = j.find("credHelpers"); h != j.end() && h->is_object()) {
    for (const auto& [k, v] : h->items())
      if (KeyHost(k) == host && v.is_string()) return v.get<std::string>();
  }
  return Str(j, "credsStore");
}

core::Result<Credentials> CredentialStore::Lookup(std::string_view registry) const {
  KILN_ASSIGN(Json j, LoadJson(path_));
  KILN_ASSIGN(std::string helper, HelperFor(registry));
  if (!helper.empty()) return FromHelper(helper, CredentialKey(registry));
  std::string host = LookupHost(registry);
  if (auto a = j.find("auths"); a != j.end() && a->is_object()) {
    for (const auto& [k, v] : a->items())
      if (KeyHost(k) == host && v.is_object()) return FromAuthEntry(v, path_);
  }
  return Credentials{};
}

core::Status CredentialStore::Save(std::string_view registry, const Credentials& creds) const {
  KILN_ASSIGN(Json j, LoadJson(path_));
  KILN_ASSIGN(std::string helper, HelperFor(registry));
  std::string key = CredentialKey(registry);
  if (!j.contains("auths") || !j["auths"].is_object()) j["auths"] = Json::object();
  Json entry = Json::object();
  if (!helper.empty()) {
    Json req = {{"ServerURL", key},
                {"Username", creds.identity_token.empty() ? creds.username : "<token>"},
                {"Secret", creds.identity_token.empty() ? creds.password : creds.identity_token}};
    KILN_ASSIGN(auto r, RunCredentialHelper(helper, "store", req.dump()));
    if (r.exit_code != 0)
      return Fail(ErrorCode::kUnauthorized, "credential helper docker-credential-" + helper +
                                                " could not store credentials for " + key);
  } else {
    entry["auth"] = Base64Encode(creds.username + ":" + creds.password);
    if (!creds.identity_token.empty()) entry["identitytoken"] = creds.identity_token;
  }
  j["auths"][key] = entry;  // with a helper: an empty entry, as docker writes
  return SaveJson(dir_, path_, j);
}

core::Result<bool> CredentialStore::Erase(std::string_view registry) const {
  KILN_ASSIGN(Json j, LoadJson(path_));
  KILN_ASSIGN(std::string helper, HelperFor(registry));
  std::string key = CredentialKey(registry), host = LookupHost(registry);
  bool found = false;
  if (!helper.empty()) {
    KILN_ASSIGN(auto r, RunCredentialHelper(helper, "erase", key));
    found = r.exit_code == 0;
  }
  if (auto a = j.find("auths"); a != j.end() && a->is_object()) {
    for (auto it = a->begin(); it != a->end();) {
      if (KeyHost(it.key()) == host) {
        it = a->erase(it);
        found = true;
      } else {
        ++it;
      }
    }
  }
  if (found) KILN_TRY(SaveJson(dir_, path_, j));
  return found;
}

}  // namespace kiln::registry

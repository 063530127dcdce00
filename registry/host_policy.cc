#include "registry/host_policy.h"

#include <algorithm>
#include <filesystem>

#include "core/host_env.h"
#include "core/reference.h"
#include "core/sys_fs.h"

namespace kiln::registry {
namespace fs = std::filesystem;

HostPolicy::HostPolicy(HostPolicyOptions options) : options_(std::move(options)) {}

bool HostPolicy::IsInsecure(std::string_view host) const {
  std::string h = AsciiLower(host);
  std::string bare = AsciiLower(core::HostWithoutPort(host));
  return std::any_of(options_.insecure_registries.begin(), options_.insecure_registries.end(),
                     [&](const std::string& entry) {
                       std::string e = AsciiLower(entry);
                       if (size_t s = e.find("://"); s != std::string::npos) e = e.substr(s + 3);
                       while (!e.empty() && e.back() == '/') e.pop_back();
                       return e == h || e == bare;
                     });
}

bool HostPolicy::AllowsPlainHttp(std::string_view host) const {
  return core::IsLoopbackHost(host) || IsInsecure(host);
}

core::Result<Url> HostPolicy::CheckUrl(std::string_view text, std::string_view role) const {
  auto url = ParseUrl(text);
  if (!url)
    return core::Fail(core::ErrorCode::kNetwork, std::string(role) + ": " + url.error().message);
  if (url->has_userinfo)
    return core::Fail(core::ErrorCode::kNetwork,
                      std::string(role) + " holds user information before '@', which hides "
                          "the host it leads to (" + url->HostPort() + "); refusing it");
  if (url->scheme == "http" && !AllowsPlainHttp(url->HostPort()))
    return core::Fail(core::ErrorCode::kNetwork,
                      std::string(role) + " " + url->Origin() +
                          " uses plain HTTP, which kiln allows only to loopback hosts and "
                          "--insecure-registry hosts; refusing it (allow it with "
                          "--insecure-registry " + url->HostPort() + ")");
  return url;
}

TlsSettings HostPolicy::TlsFor(std::string_view host) const {
  TlsSettings tls;
  tls.verify = !IsInsecure(host);
  if (!options_.ca_cert.empty()) tls.ca_files.push_back(options_.ca_cert);
  std::vector<std::string> names{std::string(host)};
  if (host.ends_with(":443")) names.push_back(std::string(host.substr(0, host.size() - 4)));
  for (const auto& root : options_.certs_dirs) {
    for (const auto& name : names) {
      std::error_code ec;
      fs::path dir = sys::U8Path(root) / sys::U8Path(name);
      if (!fs::is_directory(dir, ec)) continue;
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(dir, ec)) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        if (f.extension() == ".crt") tls.ca_files.push_back(sys::PathString(f));
        if (f.extension() == ".cert" && tls.client_cert.empty()) {
          fs::path key = f;
          key.replace_extension(".key");
          if (fs::exists(key, ec)) {
            tls.client_cert = sys::PathString(f);
            tls.client_key = sys::PathString(key);
          }
        }
      }
    }
  }
  return tls;
}

std::string HostPolicy::CertsDirHint(std::string_view host) const {
  std::string root =
      options_.certs_dirs.empty() ? core::SystemCertsDirs()[0] : options_.certs_dirs[0];
  return root + "/" + std::string(host) + "/ca.crt";
}

std::vector<std::string> DefaultCertsDirs(const std::string& docker_config_dir) {
  std::vector<std::string> dirs{docker_config_dir + "/certs.d"};
  for (auto& d : core::SystemCertsDirs()) dirs.push_back(std::move(d));
  return dirs;
}

}  // namespace kiln::registry

#include "tests/support/local_registry.h"

#include <regex>
#include <sstream>
#include <stdexcept>

namespace kiln::testing {
namespace {

void Must(const CommandResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.err + r.out);
}

std::string Base64(const std::string& s) {
  auto r = Run({"base64", "-w0"}, {}, s);
  return r.out;
}

}  // namespace

const char* RegistryModeName(RegistryMode mode) {
  switch (mode) {
    case RegistryMode::kPlain: return "plain";
    case RegistryMode::kTls: return "tls";
    case RegistryMode::kBasic: return "basic";
    case RegistryMode::kToken: return "token";
  }
  return "?";
}

LocalRegistry::LocalRegistry(RegistryMode mode) : mode_(mode) {
  port_ = FreePort();
  const fs::path d = dir_.path();
  if (mode_ == RegistryMode::kTls) {
    Must(Run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", (d / "tls.key").string(),
              "-out", (d / "tls.crt").string(), "-days", "2", "-subj", "/CN=localhost",
              "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"}),
         "openssl (TLS certificate)");
    fs::create_directories(d / "skopeo-certs");
    fs::copy_file(d / "tls.crt", d / "skopeo-certs" / "ca.crt");
  }
  if (mode_ == RegistryMode::kBasic) {
    Must(Run({"htpasswd", "-Bbc", (d / "htpasswd").string(), kUser, kPassword}), "htpasswd");
  }
  if (mode_ == RegistryMode::kToken) StartTokenServer();
  WriteConfig();
  Start();
}

LocalRegistry::~LocalRegistry() {
  Stop();
  if (token_server_) token_server_->Stop();
}

std::string LocalRegistry::host() const { return "127.0.0.1:" + std::to_string(port_); }

std::string LocalRegistry::url() const {
  return std::string(mode_ == RegistryMode::kTls ? "https://" : "http://") + host();
}

void LocalRegistry::StartTokenServer() {
  const fs::path d = dir_.path();
  Must(Run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
            (d / "token.key").string(), "-out", (d / "token.crt").string(), "-days", "2", "-subj",
            "/CN=kiln-test-token-issuer"}),
       "openssl (token certificate)");
  WriteFile(d / "users", std::string(kUser) + ":" + kPassword + "\nrefresh:kiln-refresh-token:" +
                             kUser + "\n");
  WriteFile(d / "tokens.log", "");
  token_port_ = FreePort();
  token_server_ = std::make_unique<Background>(
      std::vector<std::string>{"python3", (SourceDir() / "tests/support/token_server.py").string(),
                               std::to_string(token_port_), (d / "token.key").string(),
                               (d / "token.crt").string(), "kiln-test-issuer",
                               "kiln-test-registry", (d / "users").string(),
                               (d / "tokens.log").string()},
      d / "registry.log");
  if (!WaitForPort(token_port_)) throw std::runtime_error("token server did not start");
}

void LocalRegistry::WriteConfig() {
  const fs::path d = dir_.path();
  std::ostringstream y;
  y << "version: 0.1\n"
    << "log: {level: info, formatter: text}\n"
    << "storage:\n  filesystem: {rootdirectory: " << (d / "data").string() << "}\n"
    << "  delete: {enabled: true}\n"
    << "http:\n  addr: 127.0.0.1:" << port_ << "\n  secret: kiln-test-secret\n";
  if (mode_ == RegistryMode::kTls)
    y << "  tls: {certificate: " << (d / "tls.crt").string() << ", key: "
      << (d / "tls.key").string() << "}\n";
  if (mode_ == RegistryMode::kBasic)
    y << "auth:\n  htpasswd: {realm: kiln-test-realm, path: " << (d / "htpasswd").string() << "}\n";
  if (mode_ == RegistryMode::kToken)
    y << "auth:\n  token:\n    realm: http://127.0.0.1:" << token_port_ << "/token\n"
      << "    service: kiln-test-registry\n    issuer: kiln-test-issuer\n"
      << "    rootcertbundle: " << (d / "token.crt").string() << "\n";
  WriteFile(d / "config.yml", y.str());
}

void LocalRegistry::Start() {
  if (running()) return;
  registry_ = std::make_unique<Background>(
      std::vector<std::string>{"docker-registry", "serve", (dir_.path() / "config.yml").string()},
      dir_.path() / "registry.log");
  if (!WaitForPort(port_, 20000)) throw std::runtime_error("docker-registry did not start:\n" + Log());
}

void LocalRegistry::Stop() {
  if (registry_) registry_->Stop();
  registry_.reset();
}

bool LocalRegistry::running() const { return registry_ && registry_->running(); }

fs::path LocalRegistry::ConfigDir(bool logged_in) {
  fs::path dir = dir_.path() / (logged_in ? "docker-config" : "docker-config-anonymous");
  fs::create_directories(dir);
  if (mode_ == RegistryMode::kTls) {
    fs::create_directories(dir / "certs.d" / host());
    fs::copy_file(CaCert(), dir / "certs.d" / host() / "ca.crt",
                  fs::copy_options::overwrite_existing);
  }
  std::string auths = "{}";
  if (logged_in && (mode_ == RegistryMode::kBasic || mode_ == RegistryMode::kToken))
    auths = "{\"" + host() + "\": {\"auth\": \"" + Base64(std::string(kUser) + ":" + kPassword) +
            "\"}}";
  WriteFile(dir / "config.json", "{\"auths\": " + auths + "}\n");
  return dir;
}

std::vector<std::string> LocalRegistry::SkopeoFlags(bool src, bool inspect) const {
  std::string p = inspect ? "--" : src ? "--src-" : "--dest-";
  std::vector<std::string> f;
  if (mode_ == RegistryMode::kTls) {
    f.push_back(p + "cert-dir=" + (dir_.path() / "skopeo-certs").string());
  } else {
    f.push_back(p + "tls-verify=false");
  }
  if (mode_ == RegistryMode::kBasic || mode_ == RegistryMode::kToken)
    f.push_back(p + "creds=" + std::string(kUser) + ":" + kPassword);
  return f;
}

std::string LocalRegistry::Log() const { return ReadFile(dir_.path() / "registry.log"); }

std::string LocalRegistry::IssuedTokens() const { return ReadFile(dir_.path() / "tokens.log"); }

void LocalRegistry::ClearLog() { log_offset_ = Log().size(); }

std::vector<RegistryRequest> LocalRegistry::Requests() const {
  // Combined log format: 127.0.0.1 - - [date] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"
  static const std::regex line(R"re("([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3}) )re");
  std::string log = Log();
  std::vector<RegistryRequest> out;
  std::istringstream in(log.substr(std::min(log_offset_, log.size())));
  for (std::string l; std::getline(in, l);) {
    std::smatch m;
    if (std::regex_search(l, m, line) && l.find("level=") == std::string::npos)
      out.push_back({m[1], m[2], std::stoi(m[3])});
  }
  return out;
}

}  // namespace kiln::testing

// `kiln login [-u USER] [-p PASS | --password-stdin] [SERVER]` and `kiln logout [SERVER]`:
// check the credentials against the registry, then write them to docker's config.json (or its
// credential helper) exactly as docker login does.
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/console.h"
#include "cli/registry_flags.h"
#include "registry/client.h"
#include "registry/credentials.h"

namespace kiln::cli {
namespace {

struct LoginArgs {
  std::string server;
  std::string username;
  std::string password;
  bool password_stdin = false;
};

// Reads one line from the terminal; without echo for passwords.
std::string Prompt(const std::string& text, bool secret) {
  std::fprintf(stderr, "%s", text.c_str());
  std::fflush(stderr);
  std::optional<EchoOff> quiet;
  if (secret) quiet.emplace();
  std::string line;
  std::getline(std::cin, line);
  if (quiet && quiet->active()) std::fprintf(stderr, "\n");
  return line;
}

core::Status RunLogin(Globals& g, LoginArgs& a) {
  std::string host = NormalizeRegistryHost(a.server);
  if (!a.password.empty() && a.password_stdin)
    return core::Fail(core::ErrorCode::kInvalidInput, "--password and --password-stdin exclude each other");
  if (!a.password.empty())
    std::fprintf(stderr, "WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n");
  if (a.username.empty()) a.username = Prompt("Username: ", false);
  if (a.password_stdin) {
    std::string all, line;
    while (std::getline(std::cin, line)) all += (all.empty() ? "" : "\n") + line;
    // docker's rule: one line end is not part of the password, CR LF included (what Windows
    // shells pipe).
    if (all.ends_with('\r')) all.pop_back();
    a.password = all;
  } else if (a.password.empty()) {
    a.password = Prompt("Password: ", true);
  }
  if (a.username.empty() || a.password.empty())
    return core::Fail(core::ErrorCode::kInvalidInput, "login to " + host + " needs a username and a password");
  registry::ClientOptions opts = ClientOptionsFor(g);
  registry::Client client(opts);
  registry::Credentials creds{a.username, a.password, "", ""};
  client.session().auth().SetCredentials(host, creds);
  KILN_TRY(client.CheckLogin(host));
  registry::CredentialStore store(registry::DockerConfigDir(g.registry_config));
  KILN_TRY(store.Save(host, creds));
  std::printf("Login Succeeded\n");
  return {};
}

core::Status RunLogout(Globals& g, const std::string& server) {
  std::string host = NormalizeRegistryHost(server);
  registry::CredentialStore store(registry::DockerConfigDir(g.registry_config));
  KILN_ASSIGN(bool removed, store.Erase(host));
  if (removed) std::printf("Removing login credentials for %s\n", registry::CredentialKey(host).c_str());
  else std::printf("Not logged in to %s\n", registry::CredentialKey(host).c_str());
  return {};
}

void AddLoginCommands(CLI::App& app, Globals& g) {
  auto a = std::make_shared<LoginArgs>();
  auto* login = app.add_subcommand("login", "Log in to a registry (saves credentials as docker does)");
  login->add_option("-u,--username", a->username, "Username");
  login->add_option("-p,--password", a->password, "Password (prefer --password-stdin)");
  login->add_flag("--password-stdin", a->password_stdin, "Read the password from stdin");
  login->add_option("server", a->server, "Registry host[:port] (default docker.io)");
  login->callback([&g, a] { g.status = RunLogin(g, *a); });

  auto server = std::make_shared<std::string>();
  auto* logout = app.add_subcommand("logout", "Remove saved credentials for a registry");
  logout->add_option("server", *server, "Registry host[:port] (default docker.io)");
  logout->callback([&g, server] { g.status = RunLogout(g, *server); });
}

const CommandRegistrar kReg(80, &AddLoginCommands);

}  // namespace
}  // namespace kiln::cli

#include "builder/windows/hcs_documents.h"

#include <nlohmann/json.hpp>

#include "builder/windows/command_line.h"

namespace kiln::builder::windows {
namespace {

using core::ErrorCode;
using core::Fail;
using Json = nlohmann::ordered_json;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

core::Result<Json> MappedDirectory(const RunMount& mount) {
  switch (mount.type) {
    case RunMount::Type::kBind:
    case RunMount::Type::kCache: {
      if (mount.source.empty())
        return Fail(ErrorCode::kInternal, "mount for " + mount.target + " has no host path");
      // A mapped directory shows everything below it; the builder refuses such mounts first.
      if (!mount.hidden.empty())
        return Fail(ErrorCode::kUnsupported, "mount for " + mount.target +
                                                 " would show files excluded by .dockerignore");
      KILN_ASSIGN(std::string target, ContainerPath(mount.target));
      Json j;
      j["HostPath"] = mount.source;
      j["ContainerPath"] = target;
      j["ReadOnly"] = mount.type == RunMount::Type::kBind && mount.read_only;
      return j;
    }
    case RunMount::Type::kTmpfs:
      return Fail(ErrorCode::kUnsupported,
                  "RUN --mount=type=tmpfs is not supported for Windows containers");
    case RunMount::Type::kSecret:
      return Fail(ErrorCode::kUnsupported,
                  "RUN --mount=type=secret is not supported for Windows containers yet");
  }
  return Fail(ErrorCode::kInternal, "unknown mount type");
}

}  // namespace

core::Result<std::string> ContainerPath(std::string_view path) {
  std::string out(path);
  for (char& c : out)
    if (c == '/') c = '\\';
  if (out.size() >= 2 && std::isalpha(static_cast<unsigned char>(out[0])) && out[1] == ':') {
    if (out.size() == 2) out += '\\';
    if (out[2] != '\\') return Fail(ErrorCode::kInvalidInput, "relative container path " + out);
    return out;
  }
  if (!out.empty() && out[0] == '\\') return "C:" + out;
  return Fail(ErrorCode::kInvalidInput,
              "container path \"" + std::string(path) + "\" is not absolute");
}

core::Result<std::string> ComputeSystemDocument(const RunSpec& spec,
                                                const std::vector<HcsLayer>& layers,
                                                std::string_view owner) {
  if (spec.network_host)
    return Fail(ErrorCode::kUnsupported,
                "RUN --network=host is not supported for Windows containers (steps run without "
                "a network)");
  if (spec.rootfs.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no scratch volume");
  if (layers.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no parent layers");
  Json storage;
  storage["Layers"] = Json::array();
  for (const auto& layer : layers)
    storage["Layers"].push_back({{"Id", layer.id}, {"Path", layer.path}});
  std::string volume = spec.rootfs;
  if (!volume.ends_with('\\')) volume += '\\';
  storage["Path"] = volume;

  Json container;
  std::string hostname = spec.hostname.empty() ? spec.id.substr(0, 15) : spec.hostname;
  container["GuestOs"] = {{"HostName", hostname}};
  container["Storage"] = storage;
  if (!spec.mounts.empty()) {
    Json mapped = Json::array();
    for (const auto& m : spec.mounts) {
      KILN_ASSIGN(Json dir, MappedDirectory(m));
      mapped.push_back(std::move(dir));
    }
    container["MappedDirectories"] = std::move(mapped);
  }
  Json wait_to_kill = {{"Key", {{"Hive", "System"}, {"Name", "ControlSet001\\Control"}}},
                       {"Name", "WaitToKillServiceTimeout"},
                       {"Type", "String"},
                       {"StringValue", "2147483647"}};
  container["RegistryChanges"] = {{"AddValues", Json::array({wait_to_kill})}};

  Json doc;
  doc["Owner"] = std::string(owner);
  doc["SchemaVersion"] = {{"Major", 2}, {"Minor", 1}};
  doc["ShouldTerminateOnLastHandleClosed"] = true;
  doc["Container"] = std::move(container);
  return doc.dump(2) + "\n";
}

core::Result<std::string> ProcessParametersDocument(const RunSpec& spec) {
  std::string command_line = spec.command_line;
  if (command_line.empty() && !spec.argv.empty()) command_line = JoinWindowsCommandLine(spec.argv);
  if (command_line.empty()) return Fail(ErrorCode::kInternal, "RUN spec has no command");
  std::string workdir = "C:\\";
  if (!spec.working_dir.empty()) {
    KILN_ASSIGN(workdir, ContainerPath(spec.working_dir));
  }

  // Windows environment names are case-insensitive: a later K=V replaces an earlier k=v.
  std::vector<std::pair<std::string, std::string>> env;
  for (const auto& kv : spec.env) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string name = kv.substr(0, eq), value = kv.substr(eq + 1);
    std::erase_if(env, [&](const auto& e) { return Lower(e.first) == Lower(name); });
    if (!value.empty()) env.emplace_back(std::move(name), std::move(value));
  }
  Json environment = Json::object();
  for (auto& [k, v] : env) environment[k] = v;

  Json doc;
  doc["CommandLine"] = command_line;
  doc["WorkingDirectory"] = workdir;
  if (!spec.user.empty()) doc["User"] = spec.user;
  // No Environment at all leaves HCS's default in place (an empty object might mean "none").
  if (!environment.empty()) doc["Environment"] = std::move(environment);
  doc["EmulateConsole"] = false;
  doc["CreateStdInPipe"] = false;
  doc["CreateStdOutPipe"] = true;
  doc["CreateStdErrPipe"] = true;
  return doc.dump(2) + "\n";
}

core::Result<ProcessStatus> ParseProcessStatus(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object())
    return Fail(ErrorCode::kRuntime,
                "HCS returned an unreadable process status: " + std::string(text.substr(0, 200)));
  ProcessStatus s;
  auto number = [&](const char* key, auto& out) {
    auto it = j.find(key);
    if (it != j.end() && it->is_number_integer())
      out = it->template get<std::decay_t<decltype(out)>>();
  };
  number("ProcessId", s.process_id);
  number("ExitCode", s.exit_code);
  number("LastWaitResult", s.last_wait_result);
  if (auto it = j.find("Exited"); it != j.end() && it->is_boolean()) s.exited = it->get<bool>();
  return s;
}

}  // namespace kiln::builder::windows

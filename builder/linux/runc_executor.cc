#include "builder/linux/runc_executor.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "builder/linux/child_process.h"
#include "builder/linux/runc_bundle.h"
#include "builder/linux/step_mounts.h"
#include "builder/linux/user_lookup.h"
#include "builder/output_tail.h"
#include "core/cancel.h"
#include "layers/fs_util.h"
#include "layers/linux/in_root.h"
#include "layers/linux/overlay_mount.h"
#include "layers/linux/owner_lock.h"
#include "layers/linux/remove_tree.h"

namespace kiln::builder {
namespace {

namespace fs = std::filesystem;
using layers::LockMode;
using layers::OwnerLock;

core::Error Located(core::Error error, const RunSpec& spec) {
  if (!error.location && spec.where.valid()) error.location = spec.where;
  return error;
}

// The last error runc wrote to its JSON log ("runc run failed: " dropped), if any.
std::optional<std::string> RuncError(const std::string& log_path) {
  std::ifstream log(log_path);
  std::optional<std::string> last;
  std::string line;
  while (std::getline(log, line)) {
    auto entry = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!entry.is_object() || entry.value("level", "") != "error") continue;
    std::string msg = entry.value("msg", "");
    if (msg.starts_with("runc run failed: ")) msg.erase(0, 17);
    last = msg;
  }
  return last;
}

core::Error StartFailure(const RunSpec& spec, const std::string& runc_error) {
  std::string msg = "RUN " + QuoteCommand(spec.argv) + ": cannot start the command: " + runc_error;
  if (runc_error.find("no such file or directory") != std::string::npos &&
      runc_error.find(spec.argv[0]) != std::string::npos)
    msg += " (the image has no " + spec.argv[0] + "; use the exec form RUN [\"...\"] or SHELL)";
  return Located({core::ErrorCode::kRuntime, msg, std::nullopt}, spec);
}

std::vector<std::string> StepEnv(const RunSpec& spec, const ResolvedUser& user) {
  std::vector<std::string> env = spec.env;
  auto has = [&](std::string_view name) {
    for (const auto& kv : env)
      if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 &&
          kv[name.size()] == '=')
        return true;
    return false;
  };
  if (!has("PATH"))
    env.push_back("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  if (!has("HOME")) env.push_back("HOME=" + user.home);
  return env;
}

// Sets "NAME=value" in `env`, replacing an entry of the same name.
void SetEnv(std::vector<std::string>& env, std::string entry) {
  std::string_view name(entry.data(), entry.find('='));
  for (auto& kv : env) {
    if (kv.size() > name.size() && kv.compare(0, name.size(), name) == 0 && kv[name.size()] == '=') {
      kv = std::move(entry);
      return;
    }
  }
  env.push_back(std::move(entry));
}

core::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return core::Fail(core::ErrorCode::kIo, "cannot write " + path);
  return {};
}

}  // namespace

RuncExecutor::RuncExecutor(RuncExecutorOptions options)
    : options_(std::move(options)),
      state_(options_.state_dir + "/state"),
      bundles_(options_.state_dir + "/bundles"),
      locks_(options_.state_dir + "/locks") {}

core::Status RuncExecutor::EnsureLayout() {
  KILN_TRY(layers::MakePrivateDir(options_.state_dir));  // bundles hold secrets and mounts
  std::error_code ec;
  for (const auto& dir : {state_, bundles_, locks_}) {
    fs::create_directories(dir, ec);
    if (ec) return core::Fail(core::ErrorCode::kIo, "cannot create " + dir + ": " + ec.message());
  }
  return {};
}

core::Status RuncExecutor::Preflight(const core::Platform& target) {
  auto host = core::Platform::HostLinux();
  if (target.os != "linux")
    return core::Fail(core::ErrorCode::kUnsupported,
                      "RUN steps for " + target.ToString() + " images need a " + target.os +
                          " host; this Linux host runs RUN steps of linux images only");
  if (!target.architecture.empty() && target.architecture != host.architecture)
    return core::Fail(core::ErrorCode::kUnsupported,
                      target.ToString() + " images cannot run on this " + host.architecture +
                          " host (kiln does not emulate other CPUs)");
  if (::geteuid() != 0)
    return core::Fail(core::ErrorCode::kUnsupported,
                      "runc containers and overlayfs mounts need root: run kiln as root, e.g. "
                      "sudo kiln build ...");
  auto version = RunCaptured({options_.runc, "--version"}, std::chrono::seconds(10));
  if (!version || version->exit_code != 0)
    return core::Fail(core::ErrorCode::kUnsupported,
                      "runc is needed (" + options_.runc +
                          " not found or not working): apt-get install runc");
  if (!layers::OverlaySupported())
    return core::Fail(core::ErrorCode::kUnsupported,
                      "overlayfs is needed in the kernel: modprobe overlay");
  return SweepStale();
}

std::string RuncExecutor::NewContainerId(const std::string& hint) {
  std::string base = hint.empty() ? "kiln-step" : hint.substr(0, 40);
  for (char& c : base)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') c = '-';
  static thread_local std::mt19937 rng{std::random_device{}()};
  char rand[8];
  std::snprintf(rand, sizeof rand, "%06x", static_cast<unsigned>(rng() & 0xffffff));
  return base + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + "-" + rand;
}

core::Result<ExitStatus> RuncExecutor::Run(const RunSpec& spec) {
  KILN_TRY(core::CheckCancelled());
  if (spec.argv.empty())
    return core::Fail(Located({core::ErrorCode::kInvalidInput, "RUN has no command", {}}, spec));
  KILN_TRY(EnsureLayout());
  std::string id = NewContainerId(spec.id);
  KILN_ASSIGN(auto lock, OwnerLock::Try(locks_ + "/" + id + ".lock", LockMode::kExclusive));
  if (!lock) return core::Fail(core::ErrorCode::kInternal, "container id in use: " + id);
  std::string bundle = bundles_ + "/" + id;
  std::error_code ec;
  fs::create_directory(bundle, ec);
  if (ec) return core::Fail(core::ErrorCode::kIo, "cannot create " + bundle + ": " + ec.message());
  auto status = RunInBundle(spec, id, bundle);
  auto removed = RemoveBundle(bundle);
  if (removed) lock->Unlink();  // else the next sweep retries
  if (!status) return status;
  if (!removed) return core::Fail(removed.error().Wrap("cleaning up after RUN"));
  return status;
}

core::Result<ExitStatus> RuncExecutor::RunInBundle(const RunSpec& spec, const std::string& id,
                                                   const std::string& bundle) {
  KILN_ASSIGN(auto root, layers::OpenDir(spec.rootfs));
  auto user = LookupUser(root.get(), spec.user);
  if (!user) return core::Fail(Located(user.error().Wrap("RUN as user " + spec.user), spec));
  std::string cwd = AbsoluteTarget("/", spec.working_dir);
  if (auto made = layers::MkdirAllInRoot(root.get(), cwd, 0755); !made)
    return core::Fail(Located(made.error().Wrap("working directory " + cwd), spec));
  StepMounts mounts(root.get(), bundle);
  auto status = [&]() -> core::Result<ExitStatus> {
    auto oci_mounts = mounts.Prepare(spec);
    if (!oci_mounts) return core::Fail(Located(oci_mounts.error(), spec));
    std::vector<std::string> env = StepEnv(spec, *user);
    KILN_ASSIGN(auto secret_env, mounts.SecretEnv(spec));
    // With secrets in the environment the runtime config holds their bytes: it is written on the
    // step's secrets tmpfs (never to a disk), and runc reads it from there.
    std::string config_dir = bundle;
    if (!secret_env.empty()) {
      KILN_ASSIGN(config_dir, mounts.SecretsDir());
      config_dir = fs::absolute(config_dir).string();
      for (auto& entry : secret_env) SetEnv(env, std::move(entry));
    }
    BundleConfig config{fs::absolute(spec.rootfs).string(),
                        spec.argv,
                        std::move(env),
                        cwd,
                        *user,
                        spec.hostname.empty() ? "kiln" : spec.hostname,
                        spec.network_host,
                        std::move(*oci_mounts)};
    KILN_ASSIGN(std::string json, RuntimeConfigJson(config));
    KILN_TRY(WriteText(config_dir + "/config.json", json));
    return StartAndWait(spec, id, bundle, config_dir);
  }();
  auto deleted = DeleteContainer(id);
  auto released = mounts.Release();
  if (!status) return status;
  if (!deleted) return core::Fail(deleted.error());
  if (!released) return core::Fail(released.error().Wrap("cleaning up after RUN"));
  return status;
}

core::Result<ExitStatus> RuncExecutor::StartAndWait(const RunSpec& spec, const std::string& id,
                                                    const std::string& bundle,
                                                    const std::string& config_dir) {
  ChildOptions options;
  options.on_stdout = spec.on_stdout;
  options.on_stderr = spec.on_stderr;
  options.timeout = spec.timeout;
  options.watch_cancel = true;
  options.kill_grace = options_.kill_grace;
  options.on_stop = [&] {
    (void)RunCaptured({options_.runc, "--root", state_, "kill", id, "KILL"},
                      std::chrono::seconds(10));
  };
  std::string log = bundle + "/runc.log";
  KILN_ASSIGN(ChildOutcome outcome,
              RunChild({options_.runc, "--root", state_, "--log", log, "--log-format", "json",
                        "run", "--bundle", config_dir, id},
                       options));
  if (outcome.cancelled) return core::Fail(core::ErrorCode::kCancelled, "interrupted");
  if (outcome.timed_out) return ExitStatus{outcome.exit_code, true};
  if (outcome.exit_code != 0)
    if (auto error = RuncError(log)) return core::Fail(StartFailure(spec, *error));
  return ExitStatus{outcome.exit_code, false};
}

core::Status RuncExecutor::DeleteContainer(const std::string& id) {
  // `runc run` deletes a container whose process ended; its state dir is then gone too.
  std::error_code ec;
  if (!fs::exists(state_ + "/" + id, ec) && !ec) return {};
  auto out =
      RunCaptured({options_.runc, "--root", state_, "delete", "-f", id}, std::chrono::seconds(30));
  if (!out) return core::Fail(out.error());
  if (out->exit_code != 0 && out->err.find("does not exist") == std::string::npos)
    return core::Fail(core::ErrorCode::kRuntime,
                      "runc delete " + id + " failed: " + out->err.substr(0, 500));
  return {};
}

core::Status RuncExecutor::RemoveBundle(const std::string& bundle) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(bundle, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with("rw")) KILN_TRY(layers::Unmount((entry.path() / "merged").string()));
    if (name == kSecretsDir) KILN_TRY(layers::Unmount(entry.path().string()));
  }
  return layers::RemoveTree(bundle);
}

core::Status RuncExecutor::SweepStale() {
  std::error_code ec;
  if (!fs::is_directory(options_.state_dir, ec)) return {};  // no step ever ran here
  KILN_TRY(EnsureLayout());
  std::set<std::string> ids;
  for (const auto& dir : {state_, bundles_})
    for (const auto& e : fs::directory_iterator(dir, ec)) ids.insert(e.path().filename());
  for (const auto& e : fs::directory_iterator(locks_, ec))
    if (e.path().extension() == ".lock") ids.insert(e.path().stem());
  for (const auto& id : ids) {
    KILN_ASSIGN(auto lock, OwnerLock::Try(locks_ + "/" + id + ".lock", LockMode::kExclusive));
    if (!lock) continue;  // its kiln process is still running
    KILN_TRY(DeleteContainer(id));
    KILN_TRY(RemoveBundle(bundles_ + "/" + id));
    lock->Unlink();
  }
  return {};
}

}  // namespace kiln::builder

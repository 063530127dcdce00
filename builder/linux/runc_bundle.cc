#include "builder/linux/runc_bundle.h"

#include <nlohmann/json.hpp>

namespace kiln::builder {
namespace {

using nlohmann::json;

// docker's default capability set; root gets it effective, other users only as a bound.
const std::vector<std::string>& DefaultCapabilities() {
  static const std::vector<std::string> caps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE"};
  return caps;
}

json Process(const BundleConfig& c) {
  json user = {{"uid", c.user.uid}, {"gid", c.user.gid}};
  if (!c.user.additional_gids.empty()) user["additionalGids"] = c.user.additional_gids;
  const auto& caps = DefaultCapabilities();
  json none = json::array();
  bool root = c.user.uid == 0;
  return {{"terminal", false},
          {"user", user},
          {"args", c.argv},
          {"env", c.env},
          {"cwd", c.cwd.empty() ? "/" : c.cwd},
          {"capabilities",
           {{"bounding", caps},
            {"effective", root ? json(caps) : none},
            {"permitted", root ? json(caps) : none}}},
          {"noNewPrivileges", false}};
}

json Linux(const BundleConfig& c) {
  json namespaces = json::array();
  for (const char* ns : {"pid", "ipc", "uts", "mount"}) namespaces.push_back({{"type", ns}});
  if (!c.network_host) namespaces.push_back({{"type", "network"}});
  return {{"namespaces", namespaces},
          {"resources", {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}}},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
            "/sys/firmware"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}};
}

}  // namespace

std::vector<OciMount> StandardMounts() {
  return {
      {"/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}},
      {"/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}},
      {"/dev/pts",
       "devpts",
       "devpts",
       {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
      {"/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
      {"/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}},
      {"/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}},
  };
}

core::Result<std::string> RuntimeConfigJson(const BundleConfig& c) try {
  json mounts = json::array();
  for (const auto& m : c.mounts)
    mounts.push_back({{"destination", m.destination},
                      {"type", m.type},
                      {"source", m.source},
                      {"options", m.options}});
  json config = {{"ociVersion", "1.0.2"},
                 {"process", Process(c)},
                 {"root", {{"path", c.rootfs}, {"readonly", false}}},
                 {"hostname", c.hostname},
                 {"mounts", mounts},
                 {"linux", Linux(c)}};
  return config.dump(1);
} catch (const nlohmann::json::exception& e) {
  // dump() refuses strings that are not UTF-8, which JSON cannot carry.
  return core::Fail(core::ErrorCode::kInvalidInput,
                    std::string("RUN step cannot be described to runc: ") + e.what());
}

}  // namespace kiln::builder

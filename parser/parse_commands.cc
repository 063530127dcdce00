// RUN, CMD, ENTRYPOINT, HEALTHCHECK and SHELL: exec vs shell form, RUN flags and mounts,
// healthcheck options.
#include <algorithm>

#include "parser/go_values.h"
#include "parser/instruction_request.h"
#include "parser/quote.h"
#include "parser/runes.h"

namespace kiln::parser::detail {
namespace {

CommandLine MakeCommandLine(const Request& req, bool with_files) {
  CommandLine cmd;
  cmd.args = CommandArgs(req);
  cmd.prepend_shell = !req.node.json;
  if (with_files) {
    for (const Heredoc& doc : req.node.heredocs)
      cmd.files.push_back({doc.name, doc.content, doc.chomp});
  }
  return cmd;
}

// parseOptInterval: 0 or >= 1ms.
core::Result<int64_t> Interval(const BuildFlags::Flag& flag) {
  if (flag.value.empty()) return 0;
  KILN_ASSIGN(int64_t d, ParseGoDuration(flag.value));
  if (d == 0) return 0;
  if (d < 1000000) {
    return std::unexpected(Error("Interval " + GoQuote(flag.name) + " cannot be less than 1ms"));
  }
  return d;
}

// errNotJSON with the hint BuildKit gives on Windows for unescaped back-slashes in paths.
core::Error NotJson(std::string_view command, std::string_view original) {
  std::string lower = GoToLower(original);
  std::string prefix = GoToLower(command) + " ";
  for (size_t at; (at = lower.find(prefix)) != std::string::npos;) lower.erase(at, prefix.size());
  std::replace(lower.begin(), lower.end(), '/', '\\');
  bool drive_path = false;
  for (size_t i = 0; i + 3 < lower.size() && !drive_path; ++i) {
    drive_path = lower[i] == '"' && lower[i + 1] >= 'a' && lower[i + 1] <= 'z' &&
                 lower[i + 2] == ':' && lower[i + 3] == '\\';
  }
  std::string extra;
  if (drive_path && lower.find("\\\\") == std::string::npos &&
      lower.find('[') != std::string::npos && lower.find(']') != std::string::npos) {
    extra = ". It looks like '" + lower +
            "' includes a file path without an escaped back-slash. JSON requires back-slashes "
            "to be escaped such as [\"c:\\\\path\\\\to\\\\file.exe\", \"/parameter\"]";
  }
  return Error(std::string(command) + " requires the arguments to be in JSON form" + extra);
}

}  // namespace

std::vector<std::string> CommandArgs(const Request& req) {
  if (req.args.empty()) return {};
  if (req.node.json) return req.args;
  std::string joined;
  for (size_t i = 0; i < req.args.size(); ++i) joined += (i ? " " : "") + req.args[i];
  return {joined};
}

core::Result<Instruction> ParseRun(Request& req) {
  size_t device = req.flags.AddStrings("device");
  size_t mount = req.flags.AddStrings("mount");
  size_t network = req.flags.AddString("network", "default");
  size_t security = req.flags.AddString("security", "sandbox");
  KILN_TRY(req.flags.Parse());
  RunInstruction r;
  static_cast<InstructionBase&>(r) = req.base;
  r.flags_used = req.flags.Used();
  r.command = MakeCommandLine(req, true);
  for (const std::string& spec : req.flags.Get(device).values) {
    KILN_ASSIGN(RunDevice d, ParseRunDevice(spec));
    r.devices.push_back(std::move(d));
  }
  r.mount_specs = req.flags.Get(mount).values;
  r.mounts_resolved = true;
  WordExpander identity = [](std::string_view v) -> core::Result<std::string> {
    return std::string(v);
  };
  for (const std::string& spec : r.mount_specs) {
    KILN_ASSIGN(RunMount early, ParseRunMount(spec, nullptr));  // BuildKit's parse-time checks
    r.mount_froms.push_back(early.from);
    // Mounts without variables are resolved now; the others (and any error BuildKit reports
    // only when the stage is built) wait for ExpandInstruction.
    auto full = spec.find('$') == std::string::npos ? ParseRunMount(spec, &identity)
                                                    : std::unexpected(Error("needs expansion"));
    if (full) {
      r.mounts.push_back(std::move(*full));
    } else {
      r.mounts_resolved = false;
    }
  }
  if (!r.mounts_resolved) r.mounts.clear();
  r.network = req.flags.Get(network).value;
  if (r.network != "default" && r.network != "none" && r.network != "host") {
    return std::unexpected(Error("invalid network mode \"" + r.network + "\""));
  }
  r.security = req.flags.Get(security).value;
  if (r.security != "insecure" && r.security != "sandbox") {
    return std::unexpected(Error("security \"" + r.security + "\" is not valid"));
  }
  return r;
}

core::Result<Instruction> ParseCmd(Request& req) {
  KILN_TRY(req.flags.Parse());
  CmdInstruction c;
  static_cast<InstructionBase&>(c) = req.base;
  c.command = MakeCommandLine(req, true);
  return c;
}

core::Result<Instruction> ParseEntrypoint(Request& req) {
  KILN_TRY(req.flags.Parse());
  EntrypointInstruction e;
  static_cast<InstructionBase&>(e) = req.base;
  e.command = MakeCommandLine(req, true);
  return e;
}

core::Result<Instruction> ParseHealthcheck(Request& req) {
  if (req.args.empty()) return std::unexpected(ErrAtLeastOneArgument("HEALTHCHECK"));
  HealthcheckInstruction h;
  static_cast<InstructionBase&>(h) = req.base;
  std::string type = GoToUpper(req.args[0]);
  if (type == "NONE") {
    if (req.args.size() != 1) return std::unexpected(Error("HEALTHCHECK NONE takes no arguments"));
    h.test = {type};
    return h;
  }
  size_t interval = req.flags.AddString("interval", "");
  size_t timeout = req.flags.AddString("timeout", "");
  size_t start_period = req.flags.AddString("start-period", "");
  size_t start_interval = req.flags.AddString("start-interval", "");
  size_t retries = req.flags.AddString("retries", "");
  KILN_TRY(req.flags.Parse());
  if (type != "CMD") {
    return std::unexpected(Error("Unknown type " + GoQuote(type) + " in HEALTHCHECK (try CMD)"));
  }
  Request rest{
      req.node, std::vector<std::string>(req.args.begin() + 1, req.args.end()), BuildFlags({}), {}};
  std::vector<std::string> cmd = CommandArgs(rest);
  if (cmd.empty()) return std::unexpected(Error("Missing command after HEALTHCHECK CMD"));
  h.test.push_back(req.node.json ? "CMD" : "CMD-SHELL");
  h.test.insert(h.test.end(), cmd.begin(), cmd.end());
  KILN_ASSIGN(h.interval_ns, Interval(req.flags.Get(interval)));
  KILN_ASSIGN(h.timeout_ns, Interval(req.flags.Get(timeout)));
  KILN_ASSIGN(h.start_period_ns, Interval(req.flags.Get(start_period)));
  KILN_ASSIGN(h.start_interval_ns, Interval(req.flags.Get(start_interval)));
  if (const std::string& v = req.flags.Get(retries).value; !v.empty()) {
    KILN_ASSIGN(int64_t n, ParseGoInt32(v));
    if (n < 0) {
      return std::unexpected(Error("--retries cannot be negative (" + std::to_string(n) + ")"));
    }
    h.retries = static_cast<int>(n);
  }
  return h;
}

core::Result<Instruction> ParseShell(Request& req) {
  KILN_TRY(req.flags.Parse());
  std::vector<std::string> shell = CommandArgs(req);
  if (shell.empty()) return std::unexpected(ErrAtLeastOneArgument("SHELL"));
  if (!req.node.json) return std::unexpected(NotJson("SHELL", req.node.original));
  ShellInstruction s;
  static_cast<InstructionBase&>(s) = req.base;
  s.shell = std::move(shell);
  return s;
}

}  // namespace kiln::parser::detail

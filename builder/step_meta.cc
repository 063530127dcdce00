// Metadata instructions: they change the image config (and history), never a layer.
#include <algorithm>
#include <charconv>

#include "builder/stage_builder.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

void AddSorted(std::vector<std::string>& set, std::string value) {
  auto it = std::lower_bound(set.begin(), set.end(), value);
  if (it == set.end() || *it != value) set.insert(it, std::move(value));
}

// "80" -> "80/tcp", "53/UDP" -> "53/udp", "8000-8002" -> three ports (docker's nat.ParsePortSpecs).
core::Result<std::vector<std::string>> ParsePorts(const std::string& spec) {
  std::string port = spec, proto = "tcp";
  if (auto slash = spec.find('/'); slash != std::string::npos) {
    port = spec.substr(0, slash);
    proto = spec.substr(slash + 1);
    for (char& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (proto != "tcp" && proto != "udp" && proto != "sctp")
    return core::Fail(ErrorCode::kInvalidInput, "invalid proto: " + proto);
  auto number = [&](std::string_view s) -> core::Result<unsigned> {
    unsigned v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > 65535)
      return core::Fail(ErrorCode::kInvalidInput, "invalid containerPort: " + spec);
    return v;
  };
  unsigned lo, hi;
  if (auto dash = port.find('-'); dash != std::string::npos) {
    KILN_ASSIGN(lo, number(std::string_view(port).substr(0, dash)));
    KILN_ASSIGN(hi, number(std::string_view(port).substr(dash + 1)));
    if (hi < lo) return core::Fail(ErrorCode::kInvalidInput, "invalid port range: " + spec);
  } else {
    KILN_ASSIGN(lo, number(port));
    hi = lo;
  }
  std::vector<std::string> out;
  for (unsigned p = lo; p <= hi; ++p) out.push_back(std::to_string(p) + "/" + proto);
  return out;
}

}  // namespace

core::Status StageBuilder::CheckScopeSize() const {
  if (vars_->Bytes() + label_bytes_ <= parser::kMaxExpansionBytes) return {};
  return core::Fail(ErrorCode::kInvalidInput,
                    "the ENV, ARG and LABEL values of this stage hold more than 16 MiB together, "
                    "kiln's limit for the variables of one scope (an image config must stay "
                    "under 16 MiB)");
}

core::Status StageBuilder::Env(const parser::EnvInstruction& i) {
  std::string material = "ENV";
  KILN_ASSIGN(auto e, Expanded(i));
  for (const auto& kv : e.env) {
    vars_->SetEnv(kv.key, kv.value);
    material += " " + kv.key + "=" + kv.value;
  }
  KILN_TRY(CheckScopeSize());
  state_.config.config.env = vars_->ImageEnv();
  Metadata(i, material);
  return {};
}

core::Status StageBuilder::Label(const parser::LabelInstruction& i) {
  std::string material = "LABEL";
  KILN_ASSIGN(auto e, Expanded(i));
  for (const auto& kv : e.labels) {
    auto [it, inserted] = state_.config.config.labels.try_emplace(kv.key);
    if (inserted) label_bytes_ += kv.key.size();
    label_bytes_ = label_bytes_ - it->second.size() + kv.value.size();
    it->second = kv.value;
    material += " " + kv.key + "=" + kv.value;
  }
  KILN_TRY(CheckScopeSize());
  Metadata(i, material);
  return {};
}

core::Status StageBuilder::Maintainer(const parser::MaintainerInstruction& i) {
  state_.config.author = i.maintainer;
  Metadata(i, "MAINTAINER " + i.maintainer);
  return {};
}

core::Status StageBuilder::Arg(const parser::ArgInstruction& i) {
  std::string material = "ARG";
  for (const auto& decl : i.args) KILN_TRY(vars_->DeclareArg(decl));
  KILN_TRY(CheckScopeSize());
  for (const auto& a : vars_->ArgStrings()) material += " " + a;
  // An ARG leaves no history entry in docker's images; it only changes later cache keys.
  state_.key = BuildCache::Chain(state_.key, material);
  End(false);
  return {};
}

core::Status StageBuilder::User(const parser::UserInstruction& i) {
  KILN_ASSIGN(auto e, Expanded(i));
  state_.config.config.user = e.user;
  Metadata(i, "USER " + state_.config.config.user);
  return {};
}

core::Status StageBuilder::Expose(const parser::ExposeInstruction& i) {
  std::string material = "EXPOSE";
  KILN_ASSIGN(auto e, Expanded(i));
  for (const auto& w : e.ports) {
    KILN_ASSIGN(auto ports, ParsePorts(w));
    for (auto& p : ports) {
      material += " " + p;
      AddSorted(state_.config.config.exposed_ports, std::move(p));
    }
  }
  Metadata(i, material);
  return {};
}

core::Status StageBuilder::Volume(const parser::VolumeInstruction& i) {
  std::string material = "VOLUME";
  KILN_ASSIGN(auto e, Expanded(i));
  for (std::string v : e.volumes) {
    if (v.empty()) return core::Fail(ErrorCode::kInvalidInput, "VOLUME specified can not be an empty string");
    material += " " + v;
    AddSorted(state_.config.config.volumes, std::move(v));
  }
  Metadata(i, material);
  return {};
}

core::Status StageBuilder::StopSignal(const parser::StopSignalInstruction& i) {
  KILN_ASSIGN(auto e, Expanded(i));
  state_.config.config.stop_signal = e.signal;
  Metadata(i, "STOPSIGNAL " + state_.config.config.stop_signal);
  return {};
}

core::Status StageBuilder::Shell(const parser::ShellInstruction& i) {
  state_.config.config.shell = i.shell;
  Metadata(i, "SHELL " + core::Json(i.shell).dump());
  return {};
}

core::Status StageBuilder::Cmd(const parser::CmdInstruction& i) {
  state_.config.config.cmd = CommandForConfig(i.command);
  if (state_.windows() && i.command.prepend_shell) state_.config.config.args_escaped = true;
  state_.cmd_set = true;
  Metadata(i, "CMD " + core::Json(*state_.config.config.cmd).dump());
  return {};
}

core::Status StageBuilder::Entrypoint(const parser::EntrypointInstruction& i) {
  if (i.command.args.empty() || (i.command.args.size() == 1 && i.command.args[0].empty() &&
                                 i.command.prepend_shell)) {
    state_.config.config.entrypoint.reset();
  } else {
    state_.config.config.entrypoint = CommandForConfig(i.command);
    if (state_.windows() && i.command.prepend_shell) state_.config.config.args_escaped = true;
  }
  // docker: an ENTRYPOINT resets a CMD inherited from the base (not one set in this stage).
  if (!state_.cmd_set) state_.config.config.cmd.reset();
  Metadata(i, "ENTRYPOINT " + core::Json(state_.config.config.entrypoint.value_or(
                                            std::vector<std::string>{})).dump());
  return {};
}

core::Status StageBuilder::Healthcheck(const parser::HealthcheckInstruction& i) {
  core::HealthConfig h;
  h.test = i.test;
  h.interval_ns = i.interval_ns;
  h.timeout_ns = i.timeout_ns;
  h.start_period_ns = i.start_period_ns;
  h.start_interval_ns = i.start_interval_ns;
  h.retries = i.retries;
  state_.config.config.healthcheck = h;
  Metadata(i, "HEALTHCHECK " + core::Json(i.test).dump() + " " + std::to_string(i.interval_ns) +
                  " " + std::to_string(i.timeout_ns) + " " + std::to_string(i.start_period_ns) +
                  " " + std::to_string(i.start_interval_ns) + " " + std::to_string(i.retries));
  return {};
}

core::Status StageBuilder::Onbuild(const parser::OnbuildInstruction& i) {
  state_.config.config.on_build.push_back(i.expression);
  Metadata(i, "ONBUILD " + i.expression);
  return {};
}

}  // namespace kiln::builder

#include "parser/build_args.h"

#include "parser/runes.h"
#include "parser/shell_lexer.h"

namespace kiln::parser {
namespace {

core::Error At(core::Error e, const core::SourceRange& where) {
  e.location = where;
  return e;
}

// containerd's platforms.Format (no os.version) and FormatAll (with it).
std::string FormatPlatform(const core::Platform& p, bool with_version) {
  if (p.os.empty()) return "unknown";
  std::string out = p.os;
  if (with_version && !p.os_version.empty()) out += "(" + p.os_version + ")";
  if (!p.architecture.empty()) out += "/" + p.architecture;
  if (!p.variant.empty()) out += "/" + p.variant;
  return out;
}

}  // namespace

EnvList PredefinedArgs(const core::Platform& target, const core::Platform& build,
                       std::string_view target_stage, const BuildArgs& build_args,
                       bool case_insensitive) {
  const std::pair<const char*, std::string> values[] = {
      {"BUILDPLATFORM", FormatPlatform(build, false)},
      {"BUILDOS", build.os},
      {"BUILDOSVERSION", build.os_version},
      {"BUILDARCH", build.architecture},
      {"BUILDVARIANT", build.variant},
      {"TARGETPLATFORM", FormatPlatform(target, true)},
      {"TARGETOS", target.os},
      {"TARGETOSVERSION", target.os_version},
      {"TARGETARCH", target.architecture},
      {"TARGETVARIANT", target.variant},
      {"TARGETSTAGE", target_stage.empty() ? std::string("default") : std::string(target_stage)},
  };
  EnvList env(case_insensitive);
  for (const auto& [name, value] : values) {
    auto it = build_args.find(name);
    env.Set(name, it != build_args.end() ? it->second : value);
  }
  return env;
}

core::Result<EnvList> ResolveMetaArgs(const std::vector<ArgInstruction>& meta_args,
                                      EnvList predefined, const BuildArgs& build_args,
                                      char escape) {
  EnvList scope = std::move(predefined);
  ShellLexer lexer(static_cast<char32_t>(escape));
  for (const ArgInstruction& arg : meta_args) {
    for (const ArgDecl& decl : arg.args) {
      std::optional<std::string> value;
      if (auto it = build_args.find(decl.key); it != build_args.end()) {
        value = it->second;
      } else if (decl.value) {
        auto expanded = lexer.ProcessWord(*decl.value, scope);
        if (!expanded) return std::unexpected(At(expanded.error(), arg.range));
        value = std::move(*expanded);
      }
      if (value) scope.Set(decl.key, *value);
      if (scope.bytes() > kMaxExpansionBytes) {
        return core::Fail(core::ErrorCode::kInvalidInput,
                          "the meta ARGs hold more than 16 MiB together, kiln's limit for the "
                          "variables of one scope",
                          arg.range);
      }
    }
  }
  return scope;
}

core::Result<ResolvedFrom> ResolveFrom(const FromInstruction& from, const EnvList& global,
                                       char escape) {
  ShellLexer lexer(static_cast<char32_t>(escape));
  ResolvedFrom out;
  auto name = lexer.ProcessWord(from.base_name, global);
  if (!name) return std::unexpected(At(name.error(), from.range));
  if (name->empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "base name (" + from.base_name + ") should not be blank", from.range);
  }
  out.base_name = std::move(*name);
  if (from.platform.empty()) return out;
  auto platform = lexer.ProcessWord(from.platform, global);
  if (!platform) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "failed to process arguments for platform: " + platform.error().message,
                      from.range);
  }
  if (platform->empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "empty platform value from expression " + from.platform, from.range);
  }
  auto parsed = core::Platform::Parse(*platform);
  if (!parsed) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "failed to parse platform " + from.platform + ": " + parsed.error().message,
                      from.range);
  }
  out.platform = std::move(*parsed);
  return out;
}

core::Result<std::optional<std::string>> StageArgValue(const ArgDecl& decl,
                                                       const BuildArgs& build_args,
                                                       const Env& stage_env, const Env& global,
                                                       char escape) {
  if (auto it = build_args.find(decl.key); it != build_args.end()) {
    return std::optional<std::string>(it->second);
  }
  if (decl.value) {
    KILN_ASSIGN(std::string v,
                ShellLexer(static_cast<char32_t>(escape)).ProcessWord(*decl.value, stage_env));
    return std::optional<std::string>(std::move(v));
  }
  return global.Get(decl.key);
}

bool IsProxyArg(std::string_view name) {
  for (std::string_view p : {"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"}) {
    if (AsciiEqualFold(name, p)) return true;
  }
  return false;
}

}  // namespace kiln::parser

// ARG scoping (stage 3 helpers): BuildKit's predefined platform args, the global scope made by
// the meta ARGs before the first FROM (it serves FROM lines only), the value an ARG takes when
// redeclared inside a stage, and the proxy args docker accepts without any ARG.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/platform.h"
#include "parser/dockerfile.h"
#include "parser/env.h"

namespace kiln::parser {

using BuildArgs = std::map<std::string, std::string>;  // --build-arg NAME=value

// BUILDPLATFORM BUILDOS BUILDOSVERSION BUILDARCH BUILDVARIANT TARGETPLATFORM TARGETOS
// TARGETOSVERSION TARGETARCH TARGETVARIANT TARGETSTAGE, in BuildKit's order and format
// (TARGETPLATFORM includes the os.version: "windows(10.0.20348)/amd64"; BUILDPLATFORM does
// not). TARGETSTAGE is `target_stage` or "default". A --build-arg of the same name wins.
EnvList PredefinedArgs(const core::Platform& target, const core::Platform& build,
                       std::string_view target_stage, const BuildArgs& build_args,
                       bool case_insensitive);

// The global scope FROM lines are expanded with: `predefined`, then each meta ARG in order, set
// to its --build-arg value if given, else to its default expanded against the scope so far
// (an ARG without either stays unset). Fails, located at the ARG, on a bad default.
core::Result<EnvList> ResolveMetaArgs(const std::vector<ArgInstruction>& meta_args,
                                      EnvList predefined, const BuildArgs& build_args, char escape);

// A FROM line with its base name and --platform expanded with the global scope.
struct ResolvedFrom {
  std::string base_name;
  std::optional<core::Platform> platform;
};
// Fails, located at the FROM, like BuildKit: "base name (${X}) should not be blank",
// "empty platform value from expression ...", "failed to parse platform ...".
core::Result<ResolvedFrom> ResolveFrom(const FromInstruction& from, const EnvList& global,
                                       char escape);

// The value ARG `decl` takes inside a stage (BuildKit's dispatchArg): its --build-arg value;
// else its default expanded with `stage_env`; else, for `ARG NAME` without default, the value
// NAME has in `global` (meta ARGs and predefined args); else unset (nullopt).
core::Result<std::optional<std::string>> StageArgValue(const ArgDecl& decl,
                                                       const BuildArgs& build_args,
                                                       const Env& stage_env, const Env& global,
                                                       char escape);

// HTTP_PROXY, HTTPS_PROXY, FTP_PROXY, NO_PROXY, ALL_PROXY in any case: docker passes these
// --build-args to RUN without an ARG and keeps them out of the image history.
bool IsProxyArg(std::string_view name);

}  // namespace kiln::parser

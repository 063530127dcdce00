#include "builder/stage_vars.h"

namespace kiln::builder {

std::vector<std::string> BuildArgs::Unconsumed() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [k, v] : values_)
    if (!consumed_.count(k) && !parser::IsProxyArg(k) && k != "SOURCE_DATE_EPOCH") out.push_back(k);
  return out;
}

core::Result<parser::EnvList> GlobalScope(const std::vector<parser::ArgInstruction>& meta_args,
                                          BuildArgs& build_args, const core::Platform& build,
                                          const core::Platform& target,
                                          std::string_view target_stage, char escape) {
  // Names compare as the target's environment does (case-insensitively for Windows), the
  // same rule `kiln parse` and every stage's ENV/ARG use.
  parser::EnvList predefined = parser::PredefinedArgs(target, build, target_stage,
                                                      build_args.values(), target.is_windows());
  for (const auto& instr : meta_args)
    for (const auto& decl : instr.args) build_args.Consume(decl.key);
  return parser::ResolveMetaArgs(meta_args, std::move(predefined), build_args.values(), escape);
}

StageVars::StageVars(bool windows, const std::vector<std::string>& image_env,
                     const parser::EnvList& global, BuildArgs& build_args, char escape)
    : env_(parser::EnvList::FromStrings(image_env, windows)),
      args_(windows),
      global_(global),
      build_args_(build_args),
      escape_(escape),
      lookup_(env_, args_) {}

core::Status StageVars::DeclareArg(const parser::ArgDecl& decl) {
  build_args_.Consume(decl.key);
  KILN_ASSIGN(auto value, parser::StageArgValue(decl, build_args_.values(), lookup_, global_, escape_));
  if (value) args_.Set(decl.key, *value);
  return {};
}

std::vector<std::string> StageVars::RunEnv() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : args_.entries())
    if (!env_.Has(k)) out.push_back(k + "=" + v);
  for (const auto& [k, v] : build_args_.values())
    if (parser::IsProxyArg(k) && !env_.Has(k) && !args_.Has(k)) out.push_back(k + "=" + v);
  for (auto& e : env_.ToStrings()) out.push_back(std::move(e));
  return out;
}

}  // namespace kiln::builder

// ARG and ENV of one stage: declared build args (values by parser::StageArgValue's rules), the
// image's environment (case-insensitive names for Windows targets), and the environments word
// expansion and RUN steps see. BuildArgs tracks which --build-args some ARG consumed.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/platform.h"
#include "parser/build_args.h"
#include "parser/env.h"
#include "parser/instructions.h"
#include "parser/shell_lexer.h"

namespace kiln::builder {

// --build-arg values shared by all stages, with a record of which ones an ARG consumed.
class BuildArgs {
 public:
  explicit BuildArgs(const std::vector<std::pair<std::string, std::string>>& values) {
    for (const auto& [k, v] : values) values_[k] = v;  // the last --build-arg wins
  }
  const parser::BuildArgs& values() const { return values_; }
  void Consume(const std::string& name) {
    std::lock_guard lock(mu_);
    consumed_.insert(name);
  }
  // Names given but never declared by an ARG of a built stage (proxy args excepted).
  std::vector<std::string> Unconsumed() const;

 private:
  parser::BuildArgs values_;
  mutable std::mutex mu_;
  std::set<std::string> consumed_;
};

// The global scope FROM lines expand with: predefined platform args and the meta ARGs.
core::Result<parser::EnvList> GlobalScope(const std::vector<parser::ArgInstruction>& meta_args,
                                          BuildArgs& build_args, const core::Platform& build,
                                          const core::Platform& target,
                                          std::string_view target_stage, char escape);

class StageVars {
 public:
  StageVars(bool windows, const std::vector<std::string>& image_env, const parser::EnvList& global,
            BuildArgs& build_args, char escape);

  // Declares `ARG NAME[=default]`.
  core::Status DeclareArg(const parser::ArgDecl& decl);
  // Sets an image environment variable (ENV).
  void SetEnv(std::string_view name, std::string_view value) { env_.Set(name, value); }

  // The image environment as "K=V" (what goes into the config).
  std::vector<std::string> ImageEnv() const { return env_.ToStrings(); }
  // The environment of a RUN step: declared args (and proxy build args) not shadowed by ENV,
  // then the image environment.
  std::vector<std::string> RunEnv() const;
  // Declared args with values, "NAME=value", in declaration order (cache keys).
  std::vector<std::string> ArgStrings() const { return args_.ToStrings(); }

  // Bytes of every ENV and ARG name and value.
  size_t Bytes() const { return env_.bytes() + args_.bytes(); }

  // What word expansion sees: ENV over ARG.
  const parser::Env& lookup() const { return lookup_; }

 private:
  parser::EnvList env_;
  parser::EnvList args_;
  const parser::EnvList& global_;
  BuildArgs& build_args_;
  char escape_;
  parser::LayeredEnv lookup_;
};

}  // namespace kiln::builder

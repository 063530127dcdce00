// libFuzzer harness: Dockerfile text -> AST (and its dump) -> stages of typed instructions ->
// JSON, meta ARG resolution and per-instruction word expansion. Any crash or sanitizer report
// is a bug; errors are fine.
// fuzz-seeds: $SHARED/conformance/buildkit/testfiles
// fuzz-seeds: $SHARED/conformance/buildkit/testfiles-negative
// fuzz-seeds: $SHARED/conformance/buildkit/testfile-line
// fuzz-seeds: samples
// fuzz-seeds: tests/parser/data
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/ast.h"
#include "parser/build_args.h"
#include "parser/dockerfile.h"
#include "parser/dockerfile_json.h"
#include "parser/expand.h"

using namespace kiln::parser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto ast = ParseAst(text, "Dockerfile");
  if (!ast) return 0;
  (void)ast->Dump();
  auto df = BuildStages(*ast);
  if (!df) return 0;
  (void)DockerfileToJson(*df, "Dockerfile");
  kiln::core::Platform target{"windows", "amd64", "", "10.0.20348", {}};
  EnvList predefined = PredefinedArgs(target, kiln::core::Platform::HostLinux(), "", {}, true);
  auto global = ResolveMetaArgs(df->meta_args, predefined, {{"V", "x y"}}, df->escape);
  if (!global) return 0;
  for (Stage& stage : df->stages) {
    (void)ResolveFrom(stage.from, *global, df->escape);
    EnvList env = *global;
    for (Instruction& instruction : stage.instructions) {
      Instruction copy = instruction;
      if (ExpandInstruction(copy, env, df->escape)) {
        if (auto* e = std::get_if<EnvInstruction>(&copy)) {
          for (const KeyValue& kv : e->env) env.Set(kv.key, kv.value);
        }
      }
    }
  }
  return 0;
}

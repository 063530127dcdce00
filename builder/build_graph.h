// The build graph: stages of a Dockerfile for one target platform, their FROM bases expanded
// with the meta ARGs, and the edges between stages (FROM <stage>, COPY --from, RUN
// --mount=from). Stages the target does not need are pruned. Dump() is the stable text that
// `kiln build --print-graph` prints and golden tests compare.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/platform.h"
#include "parser/dockerfile.h"
#include "parser/env.h"

namespace kiln::builder {

struct StageEdge {
  size_t from;             // the stage depended on
  std::string why;         // "FROM", "COPY --from", "RUN --mount from"
  core::SourceRange where;
};

struct GraphStage {
  size_t index = 0;
  std::string name;            // lower-cased "AS" name, "" when unnamed
  std::string base;            // FROM after meta-ARG expansion
  std::string platform;        // --platform after expansion ("" = the build's target)
  std::optional<size_t> base_stage;  // FROM <earlier stage>
  std::vector<StageEdge> deps;
  std::vector<std::pair<std::string, core::SourceRange>> image_deps;  // COPY --from=<image>
  bool needed = false;
  const parser::Stage* stage = nullptr;

  std::string Label() const;  // "stage 1 (build)"
};

class BuildGraph {
 public:
  // Builds the graph for `target` (name or index; "" = last stage). `global` holds the meta
  // ARGs with build-arg overrides and the predefined platform args: FROM lines expand with it.
  // Fails on unknown stages in --target, FROM lines that expand to nothing, and cycles.
  static core::Result<BuildGraph> Make(const parser::Dockerfile& dockerfile,
                                       const parser::EnvList& global, std::string_view target);

  const std::vector<GraphStage>& stages() const { return stages_; }
  const GraphStage& target() const { return stages_[target_]; }
  // Needed stages, each after the stages it depends on.
  std::vector<size_t> Order() const;
  // The stage a reference names ("build", "0"), if any.
  std::optional<size_t> FindStage(std::string_view name_or_index, size_t before) const;

  std::string Dump(std::string_view platform_label) const;

 private:
  std::vector<GraphStage> stages_;
  size_t target_ = 0;
};

}  // namespace kiln::builder

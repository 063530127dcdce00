// The default output of `kiln parse`: a short human summary of a Dockerfile's stages, their
// base images (expanded with the meta ARGs for the target platform) and the .dockerignore.
#pragma once

#include <string>

#include "core/error.h"
#include "parser/dockerfile.h"

namespace kiln::cli {

struct SummaryOptions {
  std::string file;             // name shown for the Dockerfile
  std::string dockerfile_path;  // where it was read ("" for stdin): finds <name>.dockerignore
  std::string platform;         // --platform; "" = this host as a Linux target
  std::string context;          // context directory ("" = none)
};

// Reads the applicable .dockerignore (the only I/O). Fails on a bad --platform, on a FROM
// line whose base name or platform does not expand, and on a bad .dockerignore pattern.
core::Result<std::string> Summarize(const parser::Dockerfile& dockerfile, const SummaryOptions& o);

}  // namespace kiln::cli

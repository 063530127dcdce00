// `kiln build`: Dockerfile + context -> image(s) in the local store, optionally exported or
// pushed. One image per target platform; several platforms (e.g. two Windows os.versions) make
// an index whose entries carry os.version.
#pragma once

#include <string>
#include <vector>

#include "builder/build_options.h"
#include "core/error.h"
#include "core/image.h"
#include "core/platform.h"

namespace kiln::builder {

struct BuiltLayer {
  core::Descriptor blob;
  std::string created_by;
  bool base = false;  // inherited from the base image
};

struct BuiltImage {
  core::Platform platform;
  core::Descriptor manifest;
  core::Descriptor config;
  std::vector<BuiltLayer> layers;
};

struct BuildResult {
  core::Descriptor top;             // the manifest, or the index for several platforms
  std::vector<BuiltImage> images;
  std::vector<std::string> names;   // normalised -t names
  std::string graph;                // --print-graph output (nothing is built then)
  std::vector<std::string> warnings;
  uint64_t compressed_size = 0;     // sum of distinct blobs of the result
  std::string minimize_report;      // --minimize: what each shrink pass saved
  std::string isolation;            // Windows RUN steps: "process" or "hyperv" (pre-flight's)
  std::vector<core::Json> cache_exports;  // --cache-to results (for --metadata-file)
  core::Json cache_imports = core::Json::array();  // --cache-from sources used
};

// Runs the build. Errors from the Dockerfile are located (FILE:LINE:COL); a RUN the host cannot
// execute fails before any work with the stage and line of the first such RUN.
core::Result<BuildResult> Build(const BuildOptions& options);

}  // namespace kiln::builder

// Progress rendering for long verbs (build, pull, push): a core::ProgressSink for --progress
// auto|tty|plain|json|quiet. Output goes to stderr; stdout keeps the command's result.
#pragma once

#include <memory>
#include <string_view>

#include "core/progress.h"

namespace kiln::cli {

std::unique_ptr<core::ProgressSink> MakeProgressSink(std::string_view mode);

}  // namespace kiln::cli

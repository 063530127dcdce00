// Bounded parallelism for blob transfers: at most `jobs` at a time; the first failure stops the
// rest (their transfers abort at the next callback) and is the one reported.
#pragma once

#include <cstddef>
#include <functional>

#include "core/error.h"

namespace kiln::registry {

// Runs fn(0) .. fn(n-1) on up to `jobs` threads (inline when jobs <= 1 or n <= 1). Returns the
// first error (a cancellation caused by that error is not reported instead of it).
core::Status ForEachParallel(size_t n, int jobs, const std::function<core::Status(size_t)>& fn);

// True when the ForEachParallel batch the calling thread works for (or an enclosing batch) has
// failed, or on Ctrl-C: transfers should stop.
bool AbortRequested();

}  // namespace kiln::registry

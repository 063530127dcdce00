// Process-wide cancellation (Ctrl-C). cli/ installs the signal handler; long loops in every
// folder call CheckCancelled() so they stop at a safe point and clean up.
#pragma once

#include "core/error.h"

namespace kiln::core {

// Marks the process as cancelled; async-signal-safe.
void RequestCancel();
bool CancelRequested();
// kCancelled ("interrupted") once RequestCancel was called; ok otherwise.
Status CheckCancelled();
// For tests: clears the flag.
void ResetCancel();

}  // namespace kiln::core

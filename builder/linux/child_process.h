// Runs helper programs (runc) as child processes: argv without a shell, stdout and stderr streamed
// to callbacks, an optional deadline and Ctrl-C watch with a stop hook, and a final SIGKILL of the
// child's process group if the hook does not make it exit.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::builder {

struct ChildOptions {
  std::function<void(std::string_view)> on_stdout;  // null: discarded
  std::function<void(std::string_view)> on_stderr;
  std::chrono::milliseconds timeout{0};  // 0: none
  bool watch_cancel = false;             // stop the child when Ctrl-C was pressed
  // Called once when the deadline passes or Ctrl-C is seen; should make the child exit. If it
  // has not exited `kill_grace` later, its process group is killed with SIGKILL.
  std::function<void()> on_stop;
  std::chrono::milliseconds kill_grace{5000};
};

struct ChildOutcome {
  int exit_code = 0;  // 128 + signal when killed by a signal
  bool timed_out = false;
  bool cancelled = false;
};

// Starts argv[0] (looked up in PATH) in its own process group with stdin from /dev/null, the
// child killed if this thread dies (PR_SET_PDEATHSIG), no inherited fds beyond 0-2; waits for it.
// Fails (kIo/kRuntime) only when it cannot be started or supervised.
core::Result<ChildOutcome> RunChild(const std::vector<std::string>& argv,
                                    const ChildOptions& options);

struct CapturedOutput {
  int exit_code = 0;
  std::string out, err;
};

// Runs argv to completion and returns its output; killed (exit 137) after `timeout`.
core::Result<CapturedOutput> RunCaptured(
    const std::vector<std::string>& argv,
    std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace kiln::builder

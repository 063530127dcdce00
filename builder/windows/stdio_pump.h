// Copies a RUN process's stdout and stderr pipes into the step's output callbacks, one thread per
// pipe, never two callbacks at once (hcs-api.md 1.5: unread pipes can block the process). After
// the process exits the pipes get a grace period to drain (hcsshim: 1 s), then pending reads are
// cancelled so a grandchild holding the pipe open cannot hang the build.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "builder/windows/compute_api.h"

namespace kiln::builder::windows {

class StdioPump {
 public:
  using Output = std::function<void(std::string_view)>;
  // Takes ownership of the pipes (either may be kNone) and starts copying.
  StdioPump(ComputeApi& api, PipeHandle out, PipeHandle err, Output on_out, Output on_err);
  StdioPump(const StdioPump&) = delete;
  StdioPump& operator=(const StdioPump&) = delete;
  ~StdioPump();  // Finish(0)

  // Waits up to `grace` for both pipes to end, cancels what is still reading, joins the threads
  // and closes the pipes. Idempotent.
  void Finish(std::chrono::milliseconds grace);

 private:
  void Copy(PipeHandle pipe, const Output& output);

  ComputeApi& api_;
  PipeHandle out_, err_;
  Output on_out_, on_err_;
  std::mutex mu_;  // serialises the callbacks and guards open_
  std::condition_variable done_;
  int open_ = 0;
  std::thread out_thread_, err_thread_;
  bool finished_ = false;
};

}  // namespace kiln::builder::windows

// Time limits for the HCS calls of one RUN step. The defaults follow hcsshim (4 minutes to create
// or start a container, 30 s for shutdown before terminate, 1 s of output after the exit).
#pragma once

#include <chrono>

namespace kiln::builder::windows {

struct HcsTimeouts {
  std::chrono::milliseconds create{240'000};
  std::chrono::milliseconds start{240'000};
  std::chrono::milliseconds create_process{240'000};
  std::chrono::milliseconds modify{240'000};  // HcsModifyComputeSystem (guest requests)
  std::chrono::milliseconds query{30'000};  // GetProcessProperties
  std::chrono::milliseconds shutdown{30'000};
  std::chrono::milliseconds terminate{30'000};
  std::chrono::milliseconds poll{250};  // slices of the exit wait (cancel, timeout)
  std::chrono::milliseconds drain_after_exit{1'000};
};

}  // namespace kiln::builder::windows

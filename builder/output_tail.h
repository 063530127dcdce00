// The last lines of a RUN step's output, kept while the output streams into the build progress,
// and the error a failed step reports (command, exit code or timeout, those last lines).
#pragma once

#include <cstddef>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "builder/executor.h"
#include "core/error.h"

namespace kiln::builder {

// A ring buffer of the last `max_lines` lines of a byte stream fed in arbitrary chunks. Lines
// longer than `max_line_bytes` are cut (with "...") so a binary blob cannot fill memory.
class OutputTail {
 public:
  explicit OutputTail(size_t max_lines = 20, size_t max_line_bytes = 2000);
  void Append(std::string_view chunk);
  // The kept lines, oldest first; an unterminated last line is included.
  std::vector<std::string> Lines() const;

 private:
  void PushLine(std::string line);

  size_t max_lines_, max_line_bytes_;
  std::deque<std::string> lines_;
  std::string partial_;
  bool partial_cut_ = false;
};

// `argv` as one readable line, shell-quoted where needed and cut after `max_bytes`.
std::string QuoteCommand(const std::vector<std::string>& argv, size_t max_bytes = 300);

// The error of a step that exited non-zero or timed out: "RUN `cmd` failed with exit code N"
// (or "timed out after Ns"), then "last lines of output:" and the tail, indented; located at
// spec.where. Code kRuntime.
core::Error StepFailure(const RunSpec& spec, const ExitStatus& status, const OutputTail& tail);

}  // namespace kiln::builder

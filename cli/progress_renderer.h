// Renders core::ProgressEvents (blob transfers, build steps) on stderr in one of three styles:
// live per-task bars on a terminal, plain lines otherwise, or one JSON object per line for CI
// (--progress auto|tty|plain|json|quiet). Thread-safe; used by every long-running verb.
#pragma once

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/progress.h"

namespace kiln::cli {

enum class ProgressMode { kTty, kPlain, kJson, kQuiet };

class ProgressRenderer : public core::ProgressSink {
 public:
  // `mode` is the --progress value; "auto" means tty when `out` is a terminal, else plain.
  static std::unique_ptr<ProgressRenderer> Make(std::string_view mode, std::FILE* out = stderr);
  ProgressRenderer(ProgressMode mode, std::FILE* out);
  ~ProgressRenderer() override;

  void Emit(const core::ProgressEvent& event) override;
  // Draws the final state (terminal mode) and flushes; called by the destructor too.
  void Finish();
  ProgressMode mode() const { return mode_; }

  // "12.3 MiB", "512 B".
  static std::string HumanBytes(uint64_t bytes);
  // `text` with `prefix` before each of its lines ("a\nb\n" -> "P a\nP b").
  static std::string PrefixLines(const std::string& prefix, std::string_view text);

 private:
  struct Task {
    std::string label;
    uint64_t current = 0, total = 0;
    core::ProgressKind state = core::ProgressKind::kStart;
    std::string text;
    double seconds = 0;
    std::chrono::steady_clock::time_point last_print{};
  };
  void EmitTty(const core::ProgressEvent& e, Task& t, bool is_new);
  void EmitPlain(const core::ProgressEvent& e, Task& t);
  void EmitJson(const core::ProgressEvent& e, Task& t);
  void Redraw(bool force);
  std::string TaskLine(const Task& t) const;

  ProgressMode mode_;
  std::FILE* out_;
  std::mutex mu_;
  std::map<std::string, Task> tasks_;
  std::vector<std::string> order_;  // task ids in order of appearance
  size_t drawn_lines_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
  bool finished_ = false;
};

}  // namespace kiln::cli

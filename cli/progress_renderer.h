// Renders core::ProgressEvents (blob transfers, build steps) on stderr in one of three styles:
// live per-task bars on a terminal, plain lines otherwise, or one JSON object per line for CI
// (--progress auto|tty|plain|json|quiet). Thread-safe; used by every long-running verb.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
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
  bool WantsProgress() const override { return mode_ != ProgressMode::kQuiet; }
  // Draws the final state (terminal mode) and flushes; called by the destructor too.
  void Finish();
  ProgressMode mode() const { return mode_; }

  // "12.3 MiB", "512 B".
  static std::string HumanBytes(uint64_t bytes);
  // `text` cut to `columns` characters (UTF-8 aware; escape sequences are not expected).
  static std::string FitColumns(std::string_view text, size_t columns);
  // `text` with `prefix` before each of its lines ("a\nb\n" -> "P a\nP b").
  static std::string PrefixLines(const std::string& prefix, std::string_view text);

 private:
  using Clock = std::chrono::steady_clock;
  struct Task {
    std::string label;
    uint64_t current = 0, total = 0;        // bytes
    uint64_t items = 0, items_total = 0;    // files or layers
    std::string phase;                      // "hashing", "writing layer", ...
    core::ProgressKind state = core::ProgressKind::kStart;
    std::string text;
    double seconds = 0;
    Clock::time_point start{}, phase_start{}, last_print{};
    bool running() const { return state == core::ProgressKind::kStart; }
  };
  void EmitTty(const core::ProgressEvent& e, Task& t, bool is_new);
  void EmitPlain(const core::ProgressEvent& e, Task& t);
  void EmitJson(const core::ProgressEvent& e, Task& t, bool new_phase);
  void JsonLine(const char* kind, const std::string& id, const Task& t, const core::ProgressEvent* e);
  void Redraw(bool force);
  // The bytes of one redraw of the live area ("" when `force` is false and the last one was
  // under 100 ms ago); takes the log lines waiting above it first. Under mu_.
  std::string Frame(bool force);
  std::string TaskLine(const Task& t, Clock::time_point now) const;
  // "hashing 1,234/5,000 files  12.3 MiB / 45.0 MiB  5.0 MiB/s  12.0s" for a running task.
  static std::string Numbers(const Task& t, Clock::time_point now);
  // The clock: ticks elapsed times on a terminal (10/s) and prints the periodic plain/json
  // lines of long steps (checked once a second).
  void Tick();

  ProgressMode mode_;
  std::FILE* out_;
  std::mutex mu_;
  std::map<std::string, Task> tasks_;
  std::vector<std::string> order_;  // task ids in order of appearance
  size_t drawn_lines_ = 0;
  // Terminal mode, while the clock runs: only the clock thread writes to the terminal. Build
  // threads update tasks_, queue log lines here and wake it; they never wait on a terminal.
  std::string pending_lines_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point last_draw_{};
  bool finished_ = false;
  std::condition_variable tick_cv_;
  bool stop_ = false;
  std::thread ticker_;  // started with the first task
};

}  // namespace kiln::cli

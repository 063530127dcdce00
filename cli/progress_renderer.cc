#include "cli/progress_renderer.h"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>

#include <nlohmann/json.hpp>

namespace kiln::cli {
namespace {

using core::ProgressKind;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxTtyLines = 30;  // older finished tasks scroll away above the live area
constexpr auto kTtyInterval = std::chrono::milliseconds(100);
constexpr auto kJsonInterval = std::chrono::milliseconds(500);
constexpr auto kPlainInterval = std::chrono::seconds(5);

const char* KindName(ProgressKind k) {
  switch (k) {
    case ProgressKind::kStart: return "start";
    case ProgressKind::kProgress: return "progress";
    case ProgressKind::kDone: return "done";
    case ProgressKind::kCached: return "cached";
    case ProgressKind::kLog: return "log";
    case ProgressKind::kWarning: return "warning";
    case ProgressKind::kError: return "error";
  }
  return "?";
}

std::string Seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}

}  // namespace

std::unique_ptr<ProgressRenderer> ProgressRenderer::Make(std::string_view mode, std::FILE* out) {
  ProgressMode m = ProgressMode::kPlain;
  if (mode == "json") m = ProgressMode::kJson;
  else if (mode == "quiet") m = ProgressMode::kQuiet;
  else if (mode == "tty") m = ProgressMode::kTty;
  else if (mode == "auto" && isatty(fileno(out))) m = ProgressMode::kTty;
  return std::make_unique<ProgressRenderer>(m, out);
}

ProgressRenderer::ProgressRenderer(ProgressMode mode, std::FILE* out) : mode_(mode), out_(out) {}

ProgressRenderer::~ProgressRenderer() { Finish(); }

std::string ProgressRenderer::HumanBytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  if (u == 0) std::snprintf(buf, sizeof buf, "%" PRIu64 " B", b);
  else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
  return buf;
}

std::string ProgressRenderer::PrefixLines(const std::string& prefix, std::string_view text) {
  // A chunk of step output may hold several lines: each gets the step's prefix (the chunk's
  // final newline ends its last line rather than starting an empty one).
  if (text.ends_with('\n')) text.remove_suffix(1);
  std::string out;
  for (size_t start = 0;;) {
    size_t nl = text.find('\n', start);
    out += prefix;
    out += text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (nl == std::string_view::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return out;
}

void ProgressRenderer::Emit(const core::ProgressEvent& e) {
  if (mode_ == ProgressMode::kQuiet) return;
  std::lock_guard lock(mu_);
  bool is_new = !tasks_.contains(e.id);
  Task& t = tasks_[e.id];
  if (is_new && e.kind != ProgressKind::kLog && e.kind != ProgressKind::kWarning)
    order_.push_back(e.id);
  if (!e.label.empty()) t.label = e.label;
  if (e.kind != ProgressKind::kLog && e.kind != ProgressKind::kWarning) {
    t.state = e.kind == ProgressKind::kProgress ? ProgressKind::kStart : e.kind;
    t.current = e.current;
    if (e.total) t.total = e.total;
    t.seconds = e.seconds;
    if (e.kind != ProgressKind::kProgress) t.text = e.text;
  }
  switch (mode_) {
    case ProgressMode::kTty: EmitTty(e, t, is_new); break;
    case ProgressMode::kPlain: EmitPlain(e, t); break;
    case ProgressMode::kJson: EmitJson(e, t); break;
    case ProgressMode::kQuiet: break;
  }
}

void ProgressRenderer::EmitJson(const core::ProgressEvent& e, Task& t) {
  auto now = Clock::now();
  if (e.kind == ProgressKind::kProgress && now - t.last_print < kJsonInterval) return;
  t.last_print = now;
  nlohmann::json j = {{"kind", KindName(e.kind)}, {"id", e.id}};
  if (!t.label.empty()) j["label"] = t.label;
  if (e.total || e.current) j["current"] = e.current;
  if (e.total) j["total"] = e.total;
  if (!e.text.empty()) j["text"] = e.text;
  if (e.kind == ProgressKind::kDone || e.kind == ProgressKind::kError) j["seconds"] = e.seconds;
  std::fprintf(out_, "%s\n", j.dump().c_str());
  std::fflush(out_);
}

void ProgressRenderer::EmitPlain(const core::ProgressEvent& e, Task& t) {
  auto now = Clock::now();
  std::string line;
  switch (e.kind) {
    case ProgressKind::kStart:
      t.last_print = now;
      line = t.label + (t.total ? " (" + HumanBytes(t.total) + ")" : "") + " ...";
      break;
    case ProgressKind::kProgress:
      if (now - t.last_print < kPlainInterval) return;
      t.last_print = now;
      line = t.label + ": " + HumanBytes(e.current) + (t.total ? " / " + HumanBytes(t.total) : "");
      break;
    case ProgressKind::kDone:
      line = t.label + ": done" + (t.total ? " (" + HumanBytes(t.total) + " in " : " (") +
             Seconds(e.seconds) + ")";
      break;
    case ProgressKind::kCached: line = t.label + ": " + (e.text.empty() ? "cached" : e.text); break;
    case ProgressKind::kLog: line = PrefixLines(t.label + " | ", e.text); break;
    case ProgressKind::kWarning: line = "warning: " + e.text; break;
    case ProgressKind::kError: line = t.label + ": error: " + e.text; break;
  }
  std::fprintf(out_, "%s\n", line.c_str());
  std::fflush(out_);
}

void ProgressRenderer::EmitTty(const core::ProgressEvent& e, Task& t, bool is_new) {
  if (e.kind == ProgressKind::kLog || e.kind == ProgressKind::kWarning) {
    // Print over the top of the live area, then draw the live area again below it.
    std::string text = e.kind == ProgressKind::kWarning
                           ? "warning: " + e.text
                           : PrefixLines(t.label.empty() ? "" : t.label + " | ", e.text);
    if (drawn_lines_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_lines_);
    std::fprintf(out_, "\x1b[2K%s\n", text.c_str());
    drawn_lines_ = 0;
    Redraw(true);
    return;
  }
  Redraw(is_new || e.kind != ProgressKind::kProgress);
}

std::string ProgressRenderer::TaskLine(const Task& t) const {
  std::string label = t.label.size() > 40 ? t.label.substr(0, 39) + "~" : t.label;
  label.resize(40, ' ');
  switch (t.state) {
    case ProgressKind::kDone:
      return label + " done " + (t.total ? HumanBytes(t.total) + " " : "") + Seconds(t.seconds);
    case ProgressKind::kCached: return label + " " + (t.text.empty() ? "cached" : t.text);
    case ProgressKind::kError: return label + " ERROR " + t.text;
    default: break;
  }
  if (!t.total) return label + " " + (t.current ? HumanBytes(t.current) : "...");
  constexpr int kWidth = 24;
  int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(t.current) / double(t.total)));
  std::string bar = "[" + std::string(filled, '=') + (filled < kWidth ? ">" : "") +
                    std::string(kWidth - filled - (filled < kWidth ? 1 : 0), ' ') + "]";
  return label + " " + bar + " " + HumanBytes(t.current) + " / " + HumanBytes(t.total);
}

void ProgressRenderer::Redraw(bool force) {
  auto now = Clock::now();
  if (!force && now - last_draw_ < kTtyInterval) return;
  last_draw_ = now;
  if (drawn_lines_ > 0) std::fprintf(out_, "\x1b[%zuA", drawn_lines_);
  size_t first = order_.size() > kMaxTtyLines ? order_.size() - kMaxTtyLines : 0;
  for (size_t i = first; i < order_.size(); ++i)
    std::fprintf(out_, "\x1b[2K%s\n", TaskLine(tasks_[order_[i]]).c_str());
  drawn_lines_ = order_.size() - first;
  std::fflush(out_);
}

void ProgressRenderer::Finish() {
  std::lock_guard lock(mu_);
  if (finished_) return;
  finished_ = true;
  if (mode_ == ProgressMode::kTty && !order_.empty()) Redraw(true);
  std::fflush(out_);
}

}  // namespace kiln::cli

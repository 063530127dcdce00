#include "cli/progress_renderer.h"

#include <algorithm>
#include <cinttypes>

#include <nlohmann/json.hpp>

#include "cli/console.h"

namespace kiln::cli {
namespace {

using core::ProgressKind;

constexpr size_t kMaxTtyLines = 30;  // older finished tasks scroll away above the live area
constexpr auto kTtyInterval = std::chrono::milliseconds(100);
constexpr auto kJsonInterval = std::chrono::milliseconds(500);
constexpr auto kPlainInterval = std::chrono::seconds(5);  // periodic lines of long steps
constexpr auto kTickPlain = std::chrono::seconds(1);

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
  else if (mode == "auto" && IsTerminal(out) && EnableTerminalEscapes(out)) m = ProgressMode::kTty;
  return std::make_unique<ProgressRenderer>(m, out);
}

ProgressRenderer::ProgressRenderer(ProgressMode mode, std::FILE* out) : mode_(mode), out_(out) {}

ProgressRenderer::~ProgressRenderer() { Finish(); }

std::string ProgressRenderer::FitColumns(std::string_view text, size_t columns) {
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++chars > columns) return std::string(text.substr(0, i));
  }
  return std::string(text);
}

std::string ProgressRenderer::Numbers(const Task& t, Clock::time_point now) {
  std::string out;
  auto add = [&](const std::string& part) {
    if (part.empty()) return;
    if (!out.empty()) out += "  ";
    out += part;
  };
  std::string counts = t.phase;
  if (t.items || t.items_total) {
    std::string n = std::to_string(t.items) + (t.items_total ? "/" + std::to_string(t.items_total) : "");
    counts += (counts.empty() ? "" : " ") + n + (t.phase == "reading" ? " layers" : " files");
  }
  add(counts);
  if (t.current || t.total)
    add(HumanBytes(t.current) + (t.total ? " / " + HumanBytes(t.total) : ""));
  double phase_secs = std::chrono::duration<double>(now - t.phase_start).count();
  if (t.current && phase_secs >= 0.5)
    add(HumanBytes(static_cast<uint64_t>(double(t.current) / phase_secs)) + "/s");
  add(Seconds(std::chrono::duration<double>(now - t.start).count()));
  return out;
}

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
  auto now = Clock::now();
  bool is_new = !tasks_.contains(e.id);
  Task& t = tasks_[e.id];
  if (is_new) t.start = t.phase_start = now;
  if (is_new && e.kind != ProgressKind::kLog && e.kind != ProgressKind::kWarning)
    order_.push_back(e.id);
  if (!e.label.empty()) t.label = e.label;
  bool new_phase = e.kind == ProgressKind::kProgress && e.text != t.phase;
  if (e.kind != ProgressKind::kLog && e.kind != ProgressKind::kWarning) {
    t.state = e.kind == ProgressKind::kProgress ? ProgressKind::kStart : e.kind;
    if (e.kind == ProgressKind::kProgress) {
      if (e.text != t.phase) t.phase = e.text, t.phase_start = now;
      t.items = e.items;
      t.items_total = e.items_total;
      t.current = e.current;
      t.total = e.total;
    } else {
      if (e.current || e.kind == ProgressKind::kStart) t.current = e.current;
      if (e.total) t.total = e.total;
      t.text = e.text;
    }
    t.seconds = e.seconds;
  }
  if (!ticker_.joinable() && !finished_ && e.kind == ProgressKind::kStart)
    ticker_ = std::thread([this] { Tick(); });
  switch (mode_) {
    case ProgressMode::kTty: EmitTty(e, t, is_new); break;
    case ProgressMode::kPlain: EmitPlain(e, t); break;
    case ProgressMode::kJson: EmitJson(e, t, new_phase); break;
    case ProgressMode::kQuiet: break;
  }
}

void ProgressRenderer::Tick() {
  std::unique_lock lock(mu_);
  const auto interval = mode_ == ProgressMode::kTty ? std::chrono::duration_cast<Clock::duration>(kTtyInterval)
                                                    : std::chrono::duration_cast<Clock::duration>(kTickPlain);
  while (!stop_) {
    tick_cv_.wait_for(lock, interval, [this] { return stop_ || dirty_; });
    if (stop_) break;
    auto now = Clock::now();
    if (mode_ == ProgressMode::kTty) {
      bool any = dirty_;
      for (const auto& id : order_) any |= tasks_[id].running();
      std::string frame = any ? Frame(dirty_) : std::string();
      dirty_ = false;
      if (frame.empty()) continue;
      // The terminal may be slow (a pty whose reader is busy): build threads that report
      // progress meanwhile must not wait for it, so the lock is let go while writing.
      lock.unlock();
      std::fwrite(frame.data(), 1, frame.size(), out_);
      std::fflush(out_);
      lock.lock();
      continue;
    }
    for (const auto& id : order_) {
      Task& t = tasks_[id];
      if (!t.running() || now - t.last_print < kPlainInterval) continue;
      t.last_print = now;
      if (mode_ == ProgressMode::kJson) {
        JsonLine("progress", id, t, nullptr);
      } else {
        std::fprintf(out_, "%s: %s\n", t.label.c_str(), Numbers(t, now).c_str());
      }
    }
    std::fflush(out_);
  }
}

void ProgressRenderer::JsonLine(const char* kind, const std::string& id, const Task& t,
                                const core::ProgressEvent* e) {
  nlohmann::json j = {{"kind", kind}, {"id", id}};
  if (!t.label.empty()) j["label"] = t.label;
  bool progress = !e || e->kind == ProgressKind::kProgress;
  uint64_t current = e && !progress ? e->current : t.current;
  uint64_t total = e && !progress ? (e->total ? e->total : t.total) : t.total;
  if (total || current) j["current"] = current;
  if (total) j["total"] = total;
  if (progress) {
    if (!t.phase.empty()) j["phase"] = t.phase;
    if (t.items || t.items_total) j["items"] = t.items;
    if (t.items_total) j["items_total"] = t.items_total;
    j["elapsed"] = std::chrono::duration<double>(Clock::now() - t.start).count();
  } else if (!e->text.empty()) {
    j["text"] = e->text;
  }
  if (e && (e->kind == ProgressKind::kDone || e->kind == ProgressKind::kError)) j["seconds"] = e->seconds;
  std::fprintf(out_, "%s\n", j.dump().c_str());
  std::fflush(out_);
}

void ProgressRenderer::EmitJson(const core::ProgressEvent& e, Task& t, bool new_phase) {
  auto now = Clock::now();
  // Each phase's first event is printed (with its totals), however soon after the last line.
  if (e.kind == ProgressKind::kProgress && !new_phase && now - t.last_print < kJsonInterval) return;
  if (e.kind != ProgressKind::kLog && e.kind != ProgressKind::kWarning) t.last_print = now;
  JsonLine(KindName(e.kind), e.id, t, &e);
}

void ProgressRenderer::EmitPlain(const core::ProgressEvent& e, Task& t) {
  auto now = Clock::now();
  std::string line;
  switch (e.kind) {
    case ProgressKind::kStart:
      t.last_print = now;
      line = t.label + (t.total ? " (" + HumanBytes(t.total) + ")" : "") + " ...";
      break;
    case ProgressKind::kProgress: return;  // the clock prints long steps every few seconds
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
  std::string text;
  if (e.kind == ProgressKind::kLog || e.kind == ProgressKind::kWarning) {
    // Printed over the top of the live area, which is then drawn again below it.
    text = e.kind == ProgressKind::kWarning
               ? "warning: " + e.text
               : PrefixLines(t.label.empty() ? "" : t.label + " | ", e.text);
    pending_lines_ += "\x1b[2K" + text + "\n";
  }
  if (ticker_.joinable() && !stop_) {
    // The clock thread draws: counters at its next tick, anything else at once.
    if (e.kind != ProgressKind::kProgress || is_new) {
      dirty_ = true;
      tick_cv_.notify_one();
    }
    return;
  }
  // No clock (nothing started yet, or finished): draw here.
  bool log = e.kind == ProgressKind::kLog || e.kind == ProgressKind::kWarning;
  std::string frame = Frame(log || is_new || e.kind != ProgressKind::kProgress);
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
}

std::string ProgressRenderer::TaskLine(const Task& t, Clock::time_point now) const {
  std::string label = FitColumns(t.label, 40);
  if (label.size() < t.label.size()) label = FitColumns(t.label, 39) + "~";
  size_t chars = 0;
  for (char c : label) chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (chars < 40) label.append(40 - chars, ' ');
  switch (t.state) {
    case ProgressKind::kDone:
      return label + " done " + (t.total ? HumanBytes(t.total) + " " : "") + Seconds(t.seconds);
    case ProgressKind::kCached: return label + " " + (t.text.empty() ? "cached" : t.text);
    case ProgressKind::kError: return label + " ERROR " + t.text;
    default: break;
  }
  if (!t.total) return label + " " + Numbers(t, now);
  constexpr int kWidth = 24;
  int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(t.current) / double(t.total)));
  std::string bar = "[" + std::string(filled, '=') + (filled < kWidth ? ">" : "") +
                    std::string(kWidth - filled - (filled < kWidth ? 1 : 0), ' ') + "]";
  return label + " " + bar + " " + Numbers(t, now);
}

std::string ProgressRenderer::Frame(bool force) {
  auto now = Clock::now();
  std::string frame;
  if (!pending_lines_.empty()) {
    if (drawn_lines_ > 0) frame += "\x1b[" + std::to_string(drawn_lines_) + "A";
    drawn_lines_ = 0;
    frame += pending_lines_;
    pending_lines_.clear();
    force = true;
  }
  if (!force && now - last_draw_ < kTtyInterval) return frame;
  last_draw_ = now;
  // Lines longer than the terminal would wrap and break the cursor-up arithmetic.
  size_t columns = 120;
  if (int c = TerminalColumns(out_); c > 0) columns = static_cast<size_t>(c);
  if (drawn_lines_ > 0) frame += "\x1b[" + std::to_string(drawn_lines_) + "A";
  size_t first = order_.size() > kMaxTtyLines ? order_.size() - kMaxTtyLines : 0;
  for (size_t i = first; i < order_.size(); ++i)
    frame += "\x1b[2K" + FitColumns(TaskLine(tasks_[order_[i]], now), columns - 1) + "\n";
  drawn_lines_ = order_.size() - first;
  return frame;
}

void ProgressRenderer::Redraw(bool force) {
  std::string frame = Frame(force);
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
}

void ProgressRenderer::Finish() {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
    stop_ = true;
  }
  tick_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  std::lock_guard lock(mu_);
  if (mode_ == ProgressMode::kTty && (!order_.empty() || !pending_lines_.empty())) Redraw(true);
  std::fflush(out_);
}

}  // namespace kiln::cli

#include "cli/progress_sink.h"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <mutex>

#include <nlohmann/json.hpp>

namespace kiln::cli {
namespace {

// Plain lines (also used for "auto" until the terminal renderer lands).
class PlainSink : public core::ProgressSink {
 public:
  void Emit(const core::ProgressEvent& e) override {
    std::lock_guard lock(mu_);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2fs", e.seconds);
    switch (e.kind) {
      case core::ProgressKind::kStart: std::cerr << e.id << " " << e.label << "\n"; break;
      case core::ProgressKind::kDone: std::cerr << e.id << " DONE " << secs << "\n"; break;
      case core::ProgressKind::kCached: std::cerr << e.id << " CACHED\n"; break;
      case core::ProgressKind::kLog:
        if (!e.text.empty()) std::cerr << e.id << " " << e.text << (e.text.back() == '\n' ? "" : "\n");
        break;
      case core::ProgressKind::kWarning: std::cerr << "warning: " << e.text << "\n"; break;
      case core::ProgressKind::kError: std::cerr << e.id << " ERROR " << e.text << "\n"; break;
      case core::ProgressKind::kProgress: break;
    }
  }

 private:
  std::mutex mu_;
};

class JsonSink : public core::ProgressSink {
 public:
  void Emit(const core::ProgressEvent& e) override {
    static const char* kinds[] = {"start", "progress", "done", "cached", "log", "warning", "error"};
    nlohmann::ordered_json j;
    j["event"] = kinds[static_cast<int>(e.kind)];
    if (!e.id.empty()) j["id"] = e.id;
    if (!e.label.empty()) j["label"] = e.label;
    if (e.total || e.current) j["current"] = e.current, j["total"] = e.total;
    if (!e.text.empty()) j["text"] = e.text;
    if (e.seconds > 0) j["seconds"] = e.seconds;
    std::lock_guard lock(mu_);
    std::cerr << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }

 private:
  std::mutex mu_;
};

}  // namespace

std::unique_ptr<core::ProgressSink> MakeProgressSink(std::string_view mode) {
  if (mode == "json") return std::make_unique<JsonSink>();
  if (mode == "quiet") {
    struct Quiet : core::ProgressSink {
      void Emit(const core::ProgressEvent&) override {}
    };
    return std::make_unique<Quiet>();
  }
  return std::make_unique<PlainSink>();
}

}  // namespace kiln::cli

#include "core/progress.h"

namespace kiln::core {
namespace {
class NullSink : public ProgressSink {
 public:
  void Emit(const ProgressEvent&) override {}
  bool WantsProgress() const override { return false; }
};
}  // namespace

ProgressSink& NullProgress() {
  static NullSink sink;
  return sink;
}

ProgressMeter::ProgressMeter(ProgressSink& sink, std::string id, std::string label)
    : sink_(sink), id_(std::move(id)), label_(std::move(label)), live_(sink.WantsProgress()) {}

void ProgressMeter::Phase(std::string text, uint64_t items_total, uint64_t bytes_total) {
  phase_ = std::move(text);
  items_ = bytes_ = 0;
  items_total_ = items_total;
  bytes_total_ = bytes_total;
  if (live_) Send();
}

void ProgressMeter::Tick() {
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(100)) return;
  Send();
}

void ProgressMeter::Send() {
  last_ = std::chrono::steady_clock::now();
  ProgressEvent e{ProgressKind::kProgress, id_, label_, bytes_, bytes_total_, phase_, 0};
  e.items = items_;
  e.items_total = items_total_;
  sink_.Emit(e);
}

}  // namespace kiln::core

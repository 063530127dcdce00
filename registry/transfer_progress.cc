#include "registry/transfer_progress.h"

namespace kiln::registry {

TransferProgress::TransferProgress(core::ProgressSink* sink, std::string id, std::string label,
                                   uint64_t total)
    : sink_(sink), id_(std::move(id)), label_(std::move(label)), total_(total) {}

void TransferProgress::Emit(core::ProgressKind kind, const std::string& text) {
  if (!sink_) return;
  core::ProgressEvent e;
  e.kind = kind;
  e.id = id_;
  e.label = label_;
  e.current = done_;
  e.total = total_;
  e.text = text;
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  sink_->Emit(e);
}

void TransferProgress::Start() {
  started_ = last_emit_ = std::chrono::steady_clock::now();
  Emit(core::ProgressKind::kStart);
}

void TransferProgress::Update(uint64_t done) {
  done_ = done;
  auto now = std::chrono::steady_clock::now();
  if (now - last_emit_ < std::chrono::milliseconds(100)) return;
  last_emit_ = now;
  Emit(core::ProgressKind::kProgress);
}

void TransferProgress::Done() {
  done_ = total_;
  Emit(core::ProgressKind::kDone);
}

void TransferProgress::Cached(const std::string& why) { Emit(core::ProgressKind::kCached, why); }

void TransferProgress::Error(const std::string& message) {
  Emit(core::ProgressKind::kError, message);
}

core::Result<size_t> ProgressReader::Read(void* buffer, size_t size) {
  KILN_ASSIGN(size_t n, inner_.Read(buffer, size));
  progress_.Add(n);
  return n;
}

}  // namespace kiln::registry

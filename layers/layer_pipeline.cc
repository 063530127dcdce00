#include "layers/layer_pipeline.h"

#include <cstring>

namespace kiln::layers {
namespace {

constexpr size_t kChunk = 1 << 20;
constexpr int kChunks = 4;  // 1 being filled, up to 2 queued, 1 being compressed

}  // namespace

core::Result<std::unique_ptr<LayerPipeline>> LayerPipeline::Start(
    const CompressionOptions& compression, std::unique_ptr<BlobWriter> out) {
  KILN_ASSIGN(auto compressor, NewCompressor(compression, *out));
  auto p = std::unique_ptr<LayerPipeline>(new LayerPipeline(std::move(out), std::move(compressor)));
  p->worker_ = std::thread([raw = p.get()] { raw->Work(); });
  return p;
}

LayerPipeline::LayerPipeline(std::unique_ptr<BlobWriter> out,
                             std::unique_ptr<core::Writer> compressor)
    : out_(std::move(out)), compressor_(std::move(compressor)) {
  for (int i = 0; i < kChunks; ++i) {
    auto c = std::make_unique<Chunk>();
    c->data.resize(kChunk);
    free_.push_back(std::move(c));
  }
  current_ = std::move(free_.front());
  free_.pop_front();
}

LayerPipeline::~LayerPipeline() {
  {
    std::lock_guard lock(mu_);
    abort_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void LayerPipeline::Work() {
  core::Status status;
  for (;;) {
    std::unique_ptr<Chunk> chunk;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return abort_ || closing_ || !full_.empty(); });
      if (abort_) break;
      if (full_.empty()) {  // closing and drained: end the compressed stream
        lock.unlock();
        status = compressor_->Close();
        break;
      }
      chunk = std::move(full_.front());
      full_.pop_front();
    }
    status = compressor_->Write(chunk->data.data(), chunk->used);
    chunk->used = 0;
    {
      std::lock_guard lock(mu_);
      free_.push_back(std::move(chunk));
    }
    cv_.notify_all();
    if (!status) break;
  }
  std::lock_guard lock(mu_);
  worker_status_ = std::move(status);
  worker_done_ = true;
  cv_.notify_all();
}

core::Status LayerPipeline::WorkerError() {
  if (!worker_status_) return std::unexpected(worker_status_.error());
  return core::Fail(core::ErrorCode::kInternal, "layer compressor stopped early");
}

core::Status LayerPipeline::Ship() {
  diff_hasher_.Update(current_->data.data(), current_->used);
  std::unique_lock lock(mu_);
  if (worker_done_) return WorkerError();
  full_.push_back(std::move(current_));
  cv_.notify_all();
  cv_.wait(lock, [&] { return worker_done_ || !free_.empty(); });
  if (free_.empty()) return WorkerError();
  current_ = std::move(free_.front());
  free_.pop_front();
  return {};
}

core::Status LayerPipeline::Write(const void* data, size_t size) {
  auto p = static_cast<const char*>(data);
  while (size > 0) {
    size_t n = std::min(size, current_->data.size() - current_->used);
    std::memcpy(current_->data.data() + current_->used, p, n);
    current_->used += n;
    p += n;
    size -= n;
    if (current_->used == current_->data.size()) KILN_TRY(Ship());
  }
  return {};
}

core::Result<std::span<char>> LayerPipeline::Space() {
  if (current_->used == current_->data.size()) KILN_TRY(Ship());
  return std::span<char>(current_->data.data() + current_->used,
                         current_->data.size() - current_->used);
}

core::Status LayerPipeline::Commit(size_t n) {
  current_->used += n;
  if (current_->used == current_->data.size()) return Ship();
  return {};
}

core::Result<PipelineResult> LayerPipeline::Finish(std::string_view media_type) {
  if (current_->used > 0) KILN_TRY(Ship());
  {
    std::unique_lock lock(mu_);
    closing_ = true;
    cv_.notify_all();
    cv_.wait(lock, [&] { return worker_done_; });
  }
  worker_.join();
  KILN_TRY(worker_status_);
  PipelineResult r;
  r.tar_size = diff_hasher_.size();
  r.diff_id = diff_hasher_.Finish();
  KILN_ASSIGN(r.blob, out_->Commit(media_type));
  return r;
}

}  // namespace kiln::layers

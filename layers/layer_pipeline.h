// The layer pipeline: tar bytes written on the caller's thread are hashed there (diff_id) and
// handed in 1 MiB chunks through a bounded queue to a worker thread that compresses them and
// writes the blob (whose writer hashes the digest). Two cores busy, memory fixed (a few chunks)
// whatever the layer size.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "core/digest.h"
#include "core/io.h"
#include "layers/blob_store.h"
#include "layers/compression.h"

namespace kiln::layers {

struct PipelineResult {
  core::Descriptor blob;  // compressed: digest, size, media type
  core::Digest diff_id;   // sha256 of the tar
  uint64_t tar_size = 0;
};

class LayerPipeline : public core::Writer {
 public:
  // Starts the worker. Fails on an invalid compression level.
  static core::Result<std::unique_ptr<LayerPipeline>> Start(const CompressionOptions& compression,
                                                            std::unique_ptr<BlobWriter> out);
  // Stops the worker and discards the blob when Finish was not called.
  ~LayerPipeline() override;

  core::Status Write(const void* data, size_t size) override;
  using core::Writer::Write;
  // Zero-copy writing: room in the current chunk (never empty), then Commit(n) of what was
  // put there.
  core::Result<std::span<char>> Space();
  core::Status Commit(size_t n);

  // Flushes, waits for the worker, ends the compressed stream and commits the blob.
  core::Result<PipelineResult> Finish(std::string_view media_type);

 private:
  struct Chunk {
    std::vector<char> data;
    size_t used = 0;
  };
  LayerPipeline(std::unique_ptr<BlobWriter> out, std::unique_ptr<core::Writer> compressor);
  core::Status Ship();  // hands the current chunk to the worker, takes a free one
  void Work();
  core::Status WorkerError();

  std::unique_ptr<BlobWriter> out_;
  std::unique_ptr<core::Writer> compressor_;
  core::Hasher diff_hasher_;
  std::unique_ptr<Chunk> current_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Chunk>> full_, free_;
  bool closing_ = false, abort_ = false, worker_done_ = false;
  core::Status worker_status_;
  std::thread worker_;
};

}  // namespace kiln::layers

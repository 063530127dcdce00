// A bounded in-memory pipe between two threads: one writes (a registry GET), one reads (a
// registry PUT), so a blob streams from one registry to another without touching the disk.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/io.h"

namespace kiln::registry {

class BytePipe {
 public:
  explicit BytePipe(size_t capacity = 1 << 20);

  // Blocks while the pipe is full; fails when the reading side is gone.
  core::Status Write(const void* data, size_t size);
  // Ends the stream: readers then get 0 (ok) or `error`.
  void CloseWrite(std::optional<core::Error> error = std::nullopt);
  // Blocks while empty and open; 0 at the end of a stream closed without error.
  core::Result<size_t> Read(void* buffer, size_t size);
  // The reader gives up: pending and later writes fail.
  void CloseRead();

  // Writer adapter: Close() ends the stream successfully; destroying it unclosed ends it with
  // an error (the fetch failed or was not verified).
  class WriteEnd : public core::Writer {
   public:
    explicit WriteEnd(BytePipe& pipe) : pipe_(pipe) {}
    ~WriteEnd() override;
    core::Status Write(const void* data, size_t size) override { return pipe_.Write(data, size); }
    using core::Writer::Write;
    core::Status Close() override;
    void Fail(const core::Error& error);

   private:
    BytePipe& pipe_;
    bool closed_ = false;
  };

 private:
  std::mutex mu_;
  std::condition_variable can_read_, can_write_;
  std::vector<char> buf_;
  size_t head_ = 0, count_ = 0;
  bool write_closed_ = false, read_closed_ = false;
  std::optional<core::Error> error_;
};

}  // namespace kiln::registry

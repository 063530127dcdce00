#include "registry/byte_pipe.h"

#include <algorithm>
#include <cstring>

namespace kiln::registry {

BytePipe::BytePipe(size_t capacity) : buf_(capacity) {}

core::Status BytePipe::Write(const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  std::unique_lock lock(mu_);
  while (size > 0) {
    can_write_.wait(lock, [&] { return read_closed_ || count_ < buf_.size(); });
    if (read_closed_) return core::Fail(core::ErrorCode::kCancelled, "the reader stopped");
    size_t tail = (head_ + count_) % buf_.size();
    size_t n = std::min({size, buf_.size() - count_, buf_.size() - tail});
    std::memcpy(buf_.data() + tail, p, n);
    count_ += n;
    p += n;
    size -= n;
    can_read_.notify_one();
  }
  return {};
}

void BytePipe::CloseWrite(std::optional<core::Error> error) {
  std::lock_guard lock(mu_);
  write_closed_ = true;
  error_ = std::move(error);
  can_read_.notify_all();
}

core::Result<size_t> BytePipe::Read(void* buffer, size_t size) {
  std::unique_lock lock(mu_);
  can_read_.wait(lock, [&] { return count_ > 0 || write_closed_; });
  if (count_ == 0) {
    if (error_) return std::unexpected(*error_);
    return size_t{0};
  }
  size_t n = std::min({size, count_, buf_.size() - head_});
  std::memcpy(buffer, buf_.data() + head_, n);
  head_ = (head_ + n) % buf_.size();
  count_ -= n;
  can_write_.notify_one();
  return n;
}

void BytePipe::CloseRead() {
  std::lock_guard lock(mu_);
  read_closed_ = true;
  can_write_.notify_all();
}

BytePipe::WriteEnd::~WriteEnd() {
  if (!closed_)
    pipe_.CloseWrite(core::Error{core::ErrorCode::kNetwork, "the source stream failed", std::nullopt});
}

core::Status BytePipe::WriteEnd::Close() {
  closed_ = true;
  pipe_.CloseWrite();
  return {};
}

void BytePipe::WriteEnd::Fail(const core::Error& error) {
  closed_ = true;
  pipe_.CloseWrite(error);
}

}  // namespace kiln::registry

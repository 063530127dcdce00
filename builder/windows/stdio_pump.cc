#include "builder/windows/stdio_pump.h"

namespace kiln::builder::windows {

StdioPump::StdioPump(ComputeApi& api, PipeHandle out, PipeHandle err, Output on_out, Output on_err)
    : api_(api), out_(out), err_(err), on_out_(std::move(on_out)), on_err_(std::move(on_err)) {
  if (out_ != PipeHandle::kNone) {
    ++open_;
    out_thread_ = std::thread([this] { Copy(out_, on_out_); });
  }
  if (err_ != PipeHandle::kNone) {
    ++open_;
    err_thread_ = std::thread([this] { Copy(err_, on_err_); });
  }
}

StdioPump::~StdioPump() { Finish(std::chrono::milliseconds(0)); }

void StdioPump::Copy(PipeHandle pipe, const Output& output) {
  char buf[16 * 1024];
  for (;;) {
    auto n = api_.ReadPipe(pipe, buf, sizeof buf);
    if (!n || *n == 0) break;  // end, broken pipe or cancelled
    std::lock_guard lock(mu_);
    if (output) output(std::string_view(buf, *n));
  }
  std::lock_guard lock(mu_);
  --open_;
  done_.notify_all();
}

void StdioPump::Finish(std::chrono::milliseconds grace) {
  if (finished_) return;
  finished_ = true;
  {
    std::unique_lock lock(mu_);
    done_.wait_for(lock, grace, [&] { return open_ == 0; });
  }
  // Unblock the readers still waiting (the pipe stays valid until after the join).
  for (int attempt = 0; attempt < 100; ++attempt) {
    {
      std::lock_guard lock(mu_);
      if (open_ == 0) break;
    }
    if (out_ != PipeHandle::kNone) api_.CancelPipeRead(out_);
    if (err_ != PipeHandle::kNone) api_.CancelPipeRead(err_);
    std::unique_lock lock(mu_);
    done_.wait_for(lock, std::chrono::milliseconds(50), [&] { return open_ == 0; });
  }
  if (out_thread_.joinable()) out_thread_.join();
  if (err_thread_.joinable()) err_thread_.join();
  if (out_ != PipeHandle::kNone) api_.ClosePipe(std::exchange(out_, PipeHandle::kNone));
  if (err_ != PipeHandle::kNone) api_.ClosePipe(std::exchange(err_, PipeHandle::kNone));
}

}  // namespace kiln::builder::windows

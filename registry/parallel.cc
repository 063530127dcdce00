#include "registry/parallel.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/cancel.h"

namespace kiln::registry {
namespace {

struct Batch {
  std::atomic<bool> failed{false};
  const Batch* parent = nullptr;
};

thread_local const Batch* current_batch = nullptr;

}  // namespace

bool AbortRequested() {
  if (core::CancelRequested()) return true;
  for (const Batch* b = current_batch; b; b = b->parent)
    if (b->failed.load()) return true;
  return false;
}

core::Status ForEachParallel(size_t n, int jobs, const std::function<core::Status(size_t)>& fn) {
  Batch batch;
  batch.parent = current_batch;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<core::Error> first;
  auto worker = [&] {
    const Batch* saved = current_batch;
    current_batch = &batch;
    for (size_t i; !AbortRequested() && (i = next.fetch_add(1)) < n;) {
      auto st = fn(i);
      if (!st) {
        std::lock_guard lock(mu);
        if (!first) first = st.error();
        batch.failed = true;
      }
    }
    current_batch = saved;
  };
  size_t threads = std::min<size_t>(n, static_cast<size_t>(jobs < 1 ? 1 : jobs));
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (first) return std::unexpected(*first);
  return core::CheckCancelled();
}

}  // namespace kiln::registry

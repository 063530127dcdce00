#include "core/cancel.h"

#include <atomic>

namespace kiln::core {
namespace {
std::atomic<bool> g_cancelled{false};
}

void RequestCancel() { g_cancelled.store(true, std::memory_order_relaxed); }
bool CancelRequested() { return g_cancelled.load(std::memory_order_relaxed); }
void ResetCancel() { g_cancelled.store(false); }

Status CheckCancelled() {
  if (CancelRequested()) return Fail(ErrorCode::kCancelled, "interrupted");
  return {};
}

}  // namespace kiln::core

#include "core/progress.h"

namespace kiln::core {
namespace {
class NullSink : public ProgressSink {
 public:
  void Emit(const ProgressEvent&) override {}
};
}  // namespace

ProgressSink& NullProgress() {
  static NullSink sink;
  return sink;
}

}  // namespace kiln::core

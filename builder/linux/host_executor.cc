// Linux: RUN steps run under runc, with state in <store>/runc.
#include "builder/host_executor.h"

#include "builder/linux/runc_executor.h"

namespace kiln::builder {

std::unique_ptr<Executor> MakeHostExecutor(const std::string& store_root,
                                           const HostExecutorOptions& /*options*/) {
  return std::make_unique<RuncExecutor>(RuncExecutorOptions{store_root + "/runc"});
}

}  // namespace kiln::builder

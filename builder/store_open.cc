#include "builder/store_open.h"

#include "builder/host_executor.h"
#include "layers/host_snapshotter.h"

namespace kiln::builder {

void SweepLeftovers(const std::string& root) {
  (void)MakeHostExecutor(root)->SweepStale();
  (void)layers::MakeHostSnapshotter(root)->SweepStale();
}

core::Result<std::unique_ptr<layers::Store>> OpenStore(const std::string& root) {
  KILN_ASSIGN(auto store, layers::Store::Open(root));
  SweepLeftovers(store->root());
  return store;
}

}  // namespace kiln::builder

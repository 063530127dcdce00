// registry/tls_trust.h on Linux: curl's own CA bundle, nothing more.
#include "registry/tls_trust.h"

namespace kiln::registry {

long HostTrustSslOptions() { return 0; }

}  // namespace kiln::registry

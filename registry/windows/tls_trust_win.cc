// registry/tls_trust.h on Windows: the system certificate store ("ROOT", with the roots the
// machine and the user trust), read by curl at each TLS handshake.
#include <curl/curl.h>

#include "registry/tls_trust.h"

namespace kiln::registry {

long HostTrustSslOptions() { return CURLSSLOPT_NATIVE_CA; }

}  // namespace kiln::registry

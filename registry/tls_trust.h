// The host's own certificate trust for registry TLS, as curl's CURLOPT_SSL_OPTIONS bits: on
// Windows the system certificate store (CURLSSLOPT_NATIVE_CA: curl's OpenSSL backend imports the
// store's trusted roots, so kiln.exe trusts what the host trusts; kiln.exe has no CA bundle
// file), on Linux none (curl reads the distribution's CA bundle). Extra CAs (certs.d,
// --ca-cert) are added on top of either.
#pragma once

namespace kiln::registry {

long HostTrustSslOptions();

}  // namespace kiln::registry

/* add_root_cert.exe CERT.pem, for tests/scripts/windows_wine_test.sh (case registry, tls): adds
 * one PEM certificate to the current user's "ROOT" system store through crypt32, as a user
 * trusting a CA on Windows does (wine keeps the store in the prefix's registry). Built with
 * mingw-w64 by the test; wine is not Windows. */
#include <windows.h>
#include <wincrypt.h>
#include <stdio.h>

int main(int argc, char** argv) {
  static char pem[65536];
  static BYTE der[65536];
  DWORD der_size = sizeof der;
  FILE* f;
  size_t n;
  HCERTSTORE store;
  if (argc != 2 || !(f = fopen(argv[1], "rb"))) {
    fprintf(stderr, "usage: add_root_cert CERT.pem\n");
    return 2;
  }
  n = fread(pem, 1, sizeof pem - 1, f);
  fclose(f);
  if (!CryptStringToBinaryA(pem, (DWORD)n, CRYPT_STRING_BASE64HEADER, der, &der_size, NULL, NULL)) {
    fprintf(stderr, "add_root_cert: %s is not a PEM certificate (%lu)\n", argv[1], GetLastError());
    return 1;
  }
  store = CertOpenSystemStoreA(0, "ROOT");
  if (!store || !CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, der_size,
                                                  CERT_STORE_ADD_REPLACE_EXISTING, NULL)) {
    fprintf(stderr, "add_root_cert: cannot add to the ROOT store (%lu)\n", GetLastError());
    return 1;
  }
  CertCloseStore(store, 0);
  return 0;
}

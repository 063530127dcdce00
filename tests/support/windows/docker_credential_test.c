/* docker-credential-kilntest.exe, for tests/scripts/windows_wine_test.sh (case credhelper):
 * a docker credential helper (`get`, `store`, `erase`; the request on stdin, the answer on
 * stdout) that keeps one credential in %KILN_CRED_DIR%\store.json and appends each call
 * ("<action> <request>") to %KILN_CRED_DIR%\log.txt. KILN_CRED_FAIL=N: every call exits N
 * after printing a line to stderr. Built with mingw-w64 by the test; run by kiln.exe under wine
 * through CreateProcessW (registry/windows/credential_helper_win.cc). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char store_path[4096], log_path[4096];

static size_t read_all(FILE* f, char* buf, size_t cap) {
  size_t n = 0, got;
  while (n < cap - 1 && (got = fread(buf + n, 1, cap - 1 - n, f)) > 0) n += got;
  buf[n] = '\0';
  return n;
}

int main(int argc, char** argv) {
  static char input[65536], stored[65536], want[70000];
  const char* dir = getenv("KILN_CRED_DIR");
  const char* fail = getenv("KILN_CRED_FAIL");
  FILE* f;
  if (argc != 2 || !dir) {
    fprintf(stderr, "usage: KILN_CRED_DIR=DIR docker-credential-kilntest get|store|erase\n");
    return 2;
  }
  snprintf(store_path, sizeof store_path, "%s\\store.json", dir);
  snprintf(log_path, sizeof log_path, "%s\\log.txt", dir);
  read_all(stdin, input, sizeof input);
  if ((f = fopen(log_path, "ab"))) {
    fprintf(f, "%s %s\n", argv[1], input);
    fclose(f);
  }
  if (fail && *fail) {
    fprintf(stderr, "docker-credential-kilntest: failing as told (KILN_CRED_FAIL=%s)\n", fail);
    return atoi(fail);
  }
  if (strcmp(argv[1], "store") == 0) {
    if (!(f = fopen(store_path, "wb"))) return 3;
    fputs(input, f);
    fclose(f);
    return 0;
  }
  if (strcmp(argv[1], "get") == 0) {
    /* The stored request has the fields of get's answer (ServerURL, Username, Secret). */
    snprintf(want, sizeof want, "\"ServerURL\":\"%s\"", input);
    if (!(f = fopen(store_path, "rb"))) {
      fputs("credentials not found in native keychain\n", stdout);
      return 1;
    }
    read_all(f, stored, sizeof stored);
    fclose(f);
    if (!strstr(stored, want)) {
      fputs("credentials not found in native keychain\n", stdout);
      return 1;
    }
    fputs(stored, stdout);
    return 0;
  }
  if (strcmp(argv[1], "erase") == 0) return remove(store_path) == 0 ? 0 : 1;
  fprintf(stderr, "docker-credential-kilntest: unknown action %s\n", argv[1]);
  return 2;
}

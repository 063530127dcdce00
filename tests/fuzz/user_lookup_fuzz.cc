// Fuzzes the USER lookup against an image's /etc/passwd and /etc/group (untrusted input):
// the first line is the user spec, then passwd text, then "\n--\n", then group text.
// fuzz-seeds: tests/fuzz/seeds/user_lookup
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "builder/linux/user_lookup.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string_view user = in.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  size_t sep = rest.find("\n--\n");
  std::string_view passwd = rest.substr(0, sep);
  std::string_view group =
      sep == std::string_view::npos ? std::string_view() : rest.substr(sep + 4);
  auto resolved = kiln::builder::ResolveUser(user, passwd, group);
  if (resolved && user.empty() && resolved->uid != 0) __builtin_trap();
  return 0;
}

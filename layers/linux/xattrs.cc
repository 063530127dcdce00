#include "layers/linux/xattrs.h"

#include <sys/xattr.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace kiln::layers {

core::Result<std::map<std::string, std::string>> ReadXattrs(int fd, const std::string& path,
                                                            bool* opaque) {
  std::map<std::string, std::string> out;
  if (opaque) *opaque = false;
  std::vector<char> names;
  for (;;) {  // the list can grow between the two calls
    ssize_t size = ::flistxattr(fd, nullptr, 0);
    if (size < 0 && (errno == ENOTSUP || errno == EOPNOTSUPP)) return out;
    if (size < 0)
      return core::Fail(core::ErrorCode::kIo,
                        "cannot list xattrs of " + path + ": " + std::strerror(errno));
    names.resize(static_cast<size_t>(size));
    size = ::flistxattr(fd, names.data(), names.size());
    if (size >= 0) {
      names.resize(static_cast<size_t>(size));
      break;
    }
    if (errno != ERANGE)
      return core::Fail(core::ErrorCode::kIo,
                        "cannot list xattrs of " + path + ": " + std::strerror(errno));
  }
  for (size_t pos = 0; pos < names.size();) {
    std::string name(names.data() + pos);
    pos += name.size() + 1;
    ssize_t size = ::fgetxattr(fd, name.c_str(), nullptr, 0);
    if (size < 0) continue;  // removed meanwhile
    std::string value(static_cast<size_t>(size), '\0');
    size = ::fgetxattr(fd, name.c_str(), value.data(), value.size());
    if (size < 0) continue;
    value.resize(static_cast<size_t>(size));
    if (name.starts_with(kOverlayXattrPrefix)) {
      if (opaque && name == kOverlayOpaque && value == "y") *opaque = true;
      continue;
    }
    out[name] = std::move(value);
  }
  return out;
}

bool IsOpaque(int fd) {
  char value[2];
  ssize_t size = ::fgetxattr(fd, kOverlayOpaque, value, sizeof value);
  return size == 1 && value[0] == 'y';
}

}  // namespace kiln::layers

#include "layers/windows/layer_api.h"

#include <cstdio>

namespace kiln::layers::windows {

std::string Guid::ToString() const {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                static_cast<unsigned>(data1), data2, data3, data4[0], data4[1], data4[2], data4[3],
                data4[4], data4[5], data4[6], data4[7]);
  return buf;
}

}  // namespace kiln::layers::windows

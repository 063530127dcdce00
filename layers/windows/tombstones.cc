#include "layers/windows/tombstones.h"

#include <algorithm>

namespace kiln::layers::windows {
namespace {

constexpr std::string_view kHeader = "\xEF\xBB\xBFVersion 1.0";
constexpr std::string_view kFilesPrefix = "Files/";

}  // namespace

core::Result<std::vector<std::string>> ParseTombstones(std::string_view text) {
  std::vector<std::string> names;
  bool first = true;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (first) {
      if (line != kHeader)
        return core::Fail(core::ErrorCode::kInvalidInput,
                          "invalid tombstones file: expected a \"Version 1.0\" header");
      first = false;
      continue;
    }
    if (line.empty()) continue;
    if (line[0] != '\\')
      return core::Fail(core::ErrorCode::kInvalidInput, "invalid tombstones file: line \"" +
                                                            std::string(line) +
                                                            "\" does not start with a backslash");
    std::string name(kFilesPrefix);
    name += line.substr(1);
    std::replace(name.begin(), name.end(), '\\', '/');
    names.push_back(std::move(name));
  }
  if (first)
    return core::Fail(core::ErrorCode::kInvalidInput, "invalid tombstones file: it is empty");
  return names;
}

core::Result<std::string> FormatTombstones(const std::vector<std::string>& names) {
  std::string out(kHeader);
  out += "\r\n";
  for (const auto& name : names) {
    if (!name.starts_with(kFilesPrefix) || name.size() == kFilesPrefix.size())
      return core::Fail(core::ErrorCode::kInvalidInput,
                        "tombstone \"" + name + "\" is not under Files/");
    std::string line = "\\" + name.substr(kFilesPrefix.size());
    std::replace(line.begin(), line.end(), '/', '\\');
    out += line + "\r\n";
  }
  return out;
}

}  // namespace kiln::layers::windows

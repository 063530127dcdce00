// RUN --mount=... and RUN --device=... values, parsed with BuildKit's rules (CSV fields,
// key=value options per mount type, defaults and consistency checks).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::parser {

struct RunMount {
  std::string type = "bind";       // bind | cache | tmpfs | secret | ssh
  std::string from;                // stage or image to mount from (bind, cache)
  std::string source;              // source / src
  std::string target;              // target / dst / destination
  bool read_only = true;           // default: false for cache and tmpfs, true otherwise
  int64_t size_limit = 0;          // tmpfs size=, bytes
  std::string cache_id;            // id= (cache; also the secret id)
  std::string sharing;             // cache sharing: shared | private | locked ("" = default)
  bool required = false;           // secret, ssh
  std::optional<std::string> env;  // secret: expose as this environment variable
  std::optional<uint64_t> mode, uid, gid;  // secret, ssh, cache
  bool operator==(const RunMount&) const = default;
};

struct RunDevice {
  std::string name;
  bool required = false;
  bool operator==(const RunDevice&) const = default;
};

using WordExpander = std::function<core::Result<std::string>(std::string_view)>;

// Parses one --mount value. With `expander` every value is expanded and checked; without it
// (BuildKit's parse-time pass) only the CSV syntax and `from` (no variables) are checked and
// the other fields are left at their defaults.
core::Result<RunMount> ParseRunMount(std::string_view spec, const WordExpander* expander);

// Parses one --device value ("name[,required[=bool]]" or "name=...,required=...").
core::Result<RunDevice> ParseRunDevice(std::string_view spec);

// go-csvvalue Fields: one CSV record, quotes with "" escapes; errors as encoding/csv's.
core::Result<std::vector<std::string>> CsvFields(std::string_view line);

}  // namespace kiln::parser

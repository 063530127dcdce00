// The exec (JSON) form of RUN/CMD/ENTRYPOINT/SHELL/ADD/COPY/VOLUME/HEALTHCHECK arguments,
// decided exactly as BuildKit does with Go's encoding/json: a syntax error means "shell form",
// a valid array holding anything but strings is an error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::parser {

enum class JsonArrayStatus {
  kOk,          // a JSON array of strings
  kNotJson,     // not a JSON array (BuildKit falls back to the shell form)
  kNotStrings,  // valid JSON array with a non-string element (an error in BuildKit)
};

struct JsonArray {
  JsonArrayStatus status = JsonArrayStatus::kNotJson;
  std::vector<std::string> items;
};

// Parses `text` after skipping leading Unicode white space. Follows Go's encoding/json: only
// space, \t, \n, \r between tokens; invalid UTF-8 and lone surrogates in strings decode to
// U+FFFD; nesting deeper than 10000 is an error (kNotJson). Never recurses.
JsonArray ParseJsonStringArray(std::string_view text);

}  // namespace kiln::parser

// A streaming, pretty-printing JSON writer (2-space indent, nlohmann's dump(2) layout) for the
// large documents `kiln parse --json` produces: no DOM, so 10,000 instructions cost little.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::parser {

class JsonWriter {
 public:
  // Callers give keys in the order they want them printed.
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  // Strings are escaped; invalid UTF-8 becomes U+FFFD.
  JsonWriter& String(std::string_view value);
  JsonWriter& Int(int64_t value);
  JsonWriter& Uint(uint64_t value);
  JsonWriter& Bool(bool value);
  JsonWriter& Null();
  JsonWriter& Strings(const std::vector<std::string>& values);  // an array of strings

  // The document, with a trailing newline.
  std::string Take();

 private:
  void BeforeValue();
  void Newline();

  std::string out_;
  std::vector<bool> empty_;  // per open container: nothing written yet
  bool after_key_ = false;
};

}  // namespace kiln::parser

// BuildKit's BFlags: the `--name[=value]` flags in front of an instruction's arguments, declared
// per instruction (bool, string, or repeatable string) and checked with BuildKit's messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace kiln::parser {

class BuildFlags {
 public:
  enum class Type { kBool, kString, kStrings };
  struct Flag {
    std::string name;
    Type type;
    std::string value;                // kBool: "true"/"false"; kString: the value
    std::vector<std::string> values;  // kStrings: every value, in order
    bool used = false;
  };

  explicit BuildFlags(std::vector<std::string> args) : args_(std::move(args)) {}

  // Declarations; the returned index stays valid (use Get).
  size_t AddBool(std::string name, bool def);
  size_t AddString(std::string name, std::string def);
  size_t AddStrings(std::string name);
  const Flag& Get(size_t index) const { return flags_[index]; }

  // Checks the instruction's flags against the declarations: "unknown flag: --x (did you mean
  // y?)", "duplicate flag specified: --x", "missing a value on flag: --x", "expecting boolean
  // value for flag --x, not: v", "arg should start with -- : x". A "--" ends the flags.
  core::Status Parse();
  // Names of the flags that were given, in declaration order.
  std::vector<std::string> Used() const;

 private:
  std::vector<std::string> args_;
  std::vector<Flag> flags_;
};

// BuildKit's suggest.Search: the option within edit distance 2 of `value` (closest first, ties
// in the order given), matching the case style of `value` when !case_sensitive; "" if none or
// an exact match.
std::string SuggestClosest(std::string_view value, const std::vector<std::string>& options,
                           bool case_sensitive);

}  // namespace kiln::parser

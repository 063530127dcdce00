#include "parser/build_flags.h"

#include <algorithm>

#include "parser/runes.h"

namespace kiln::parser {
namespace {

core::Error FlagError(std::string message) {
  return core::Error{core::ErrorCode::kInvalidInput, std::move(message), std::nullopt};
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::u32string x = DecodeRunes(a), y = DecodeRunes(b);
  std::vector<size_t> row(y.size() + 1);
  for (size_t j = 0; j <= y.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= x.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= y.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (x[i - 1] == y[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[y.size()];
}

}  // namespace

std::string SuggestClosest(std::string_view value, const std::vector<std::string>& options,
                           bool case_sensitive) {
  std::string val = case_sensitive ? std::string(value) : GoToLower(value);
  std::string match;
  size_t best = 3;
  for (const std::string& option : options) {
    std::string opt = case_sensitive ? option : GoToLower(option);
    if (val == opt) return "";
    // Then val has at least opt.size() + 3 runes: it cannot be within distance 2.
    if (val.size() > 4 * opt.size() + 8) continue;
    size_t d = EditDistance(val, opt);
    if (d < best) {
      best = d;
      match = opt;
      if (!case_sensitive) {
        if (value == GoToLower(value)) {
          match = GoToLower(opt);
        } else if (value == GoToUpper(value)) {  // Go's strings.ToUpper: é -> É
          match = GoToUpper(opt);
        }
      }
    }
  }
  return match;
}

size_t BuildFlags::AddBool(std::string name, bool def) {
  flags_.push_back({std::move(name), Type::kBool, def ? "true" : "false", {}, false});
  return flags_.size() - 1;
}

size_t BuildFlags::AddString(std::string name, std::string def) {
  flags_.push_back({std::move(name), Type::kString, std::move(def), {}, false});
  return flags_.size() - 1;
}

size_t BuildFlags::AddStrings(std::string name) {
  flags_.push_back({std::move(name), Type::kStrings, "", {}, false});
  return flags_.size() - 1;
}

core::Status BuildFlags::Parse() {
  for (const std::string& a : args_) {
    if (a == "--") return {};
    if (!a.starts_with("--")) return std::unexpected(FlagError("arg should start with -- : " + a));
    size_t eq = a.find('=');
    bool has_value = eq != std::string::npos;
    std::string flag_name = a.substr(0, eq);
    std::string value = has_value ? a.substr(eq + 1) : "";
    std::string name = flag_name.substr(2);
    auto it =
        std::find_if(flags_.begin(), flags_.end(), [&](const Flag& f) { return f.name == name; });
    if (it == flags_.end()) {
      std::vector<std::string> names;
      for (const Flag& f : flags_) names.push_back(f.name);
      std::string msg = "unknown flag: " + flag_name;
      std::string hint = SuggestClosest(name, names, true);
      if (!hint.empty()) msg += " (did you mean " + hint + "?)";
      return std::unexpected(FlagError(msg));
    }
    if (it->used && it->type != Type::kStrings) {
      return std::unexpected(FlagError("duplicate flag specified: " + flag_name));
    }
    it->used = true;
    switch (it->type) {
      case Type::kBool: {
        if (has_value && value.empty()) {
          return std::unexpected(FlagError("missing a value on flag: " + flag_name));
        }
        std::string lower = GoToLower(value);
        if (lower == "true" || lower.empty()) {
          it->value = "true";
        } else if (lower == "false") {
          it->value = "false";
        } else {
          return std::unexpected(
              FlagError("expecting boolean value for flag " + flag_name + ", not: " + value));
        }
        break;
      }
      case Type::kString:
        if (!has_value) return std::unexpected(FlagError("missing a value on flag: " + flag_name));
        it->value = value;
        break;
      case Type::kStrings:
        if (!has_value) return std::unexpected(FlagError("missing a value on flag: " + flag_name));
        it->values.push_back(value);
        break;
    }
  }
  return {};
}

std::vector<std::string> BuildFlags::Used() const {
  std::vector<std::string> out;
  for (const Flag& f : flags_) {
    if (f.used) out.push_back(f.name);
  }
  return out;
}

}  // namespace kiln::parser

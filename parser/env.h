// Variable environments for word expansion: the Env lookup interface the shell lexer reads, and
// EnvList, an ordered list of NAME=value pairs whose names compare case-insensitively for
// Windows targets (as Windows environment variables do).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kiln::parser {

class Env {
 public:
  virtual ~Env() = default;
  // The value of `name`, or nullopt when unset (an empty value is set).
  virtual std::optional<std::string> Get(std::string_view name) const = 0;
};

// An Env with nothing set (BuildKit's emptyEnvs).
class EmptyEnv final : public Env {
 public:
  std::optional<std::string> Get(std::string_view) const override { return std::nullopt; }
};

class EnvList final : public Env {
 public:
  // `case_insensitive` = Windows target: names compare with ASCII case folding.
  explicit EnvList(bool case_insensitive = false) : case_insensitive_(case_insensitive) {}
  // Builds from "NAME=value" strings (a string without '=' sets NAME to ""); later ones win.
  static EnvList FromStrings(const std::vector<std::string>& entries, bool case_insensitive);

  std::optional<std::string> Get(std::string_view name) const override;
  // Replaces the value (and the spelling of the name) of an existing entry in place, or appends.
  void Set(std::string_view name, std::string_view value);
  void Delete(std::string_view name);
  bool Has(std::string_view name) const { return Find(name) != nullptr; }

  const std::vector<std::pair<std::string, std::string>>& entries() const { return entries_; }
  bool case_insensitive() const { return case_insensitive_; }
  // Bytes of every name and value together (scopes are held to kMaxExpansionBytes).
  size_t bytes() const { return bytes_; }
  // "NAME=value" strings in order.
  std::vector<std::string> ToStrings() const;

 private:
  const std::pair<std::string, std::string>* Find(std::string_view name) const;
  bool Same(std::string_view a, std::string_view b) const;

  bool case_insensitive_;
  size_t bytes_ = 0;
  std::vector<std::pair<std::string, std::string>> entries_;
};

// Looks a name up in `first`, then in `second` (e.g. stage env over build args).
class LayeredEnv final : public Env {
 public:
  LayeredEnv(const Env& first, const Env& second) : first_(first), second_(second) {}
  std::optional<std::string> Get(std::string_view name) const override {
    if (auto v = first_.Get(name)) return v;
    return second_.Get(name);
  }

 private:
  const Env& first_;
  const Env& second_;
};

}  // namespace kiln::parser

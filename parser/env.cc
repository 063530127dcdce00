#include "parser/env.h"

#include <algorithm>

#include "parser/runes.h"

namespace kiln::parser {

EnvList EnvList::FromStrings(const std::vector<std::string>& entries, bool case_insensitive) {
  EnvList env(case_insensitive);
  for (const std::string& e : entries) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      env.Set(e, "");
    } else {
      env.Set(std::string_view(e).substr(0, eq), std::string_view(e).substr(eq + 1));
    }
  }
  return env;
}

bool EnvList::Same(std::string_view a, std::string_view b) const {
  return case_insensitive_ ? AsciiEqualFold(a, b) : a == b;
}

const std::pair<std::string, std::string>* EnvList::Find(std::string_view name) const {
  for (const auto& entry : entries_) {
    if (Same(entry.first, name)) return &entry;
  }
  return nullptr;
}

std::optional<std::string> EnvList::Get(std::string_view name) const {
  if (const auto* entry = Find(name)) return entry->second;
  return std::nullopt;
}

void EnvList::Set(std::string_view name, std::string_view value) {
  for (auto& entry : entries_) {
    if (Same(entry.first, name)) {
      bytes_ -= entry.first.size() + entry.second.size();
      entry.first = std::string(name);
      entry.second = std::string(value);
      bytes_ += name.size() + value.size();
      return;
    }
  }
  entries_.emplace_back(std::string(name), std::string(value));
  bytes_ += name.size() + value.size();
}

void EnvList::Delete(std::string_view name) {
  std::erase_if(entries_, [&](const auto& entry) {
    if (!Same(entry.first, name)) return false;
    bytes_ -= entry.first.size() + entry.second.size();
    return true;
  });
}

std::vector<std::string> EnvList::ToStrings() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [k, v] : entries_) out.push_back(k + "=" + v);
  return out;
}

}  // namespace kiln::parser

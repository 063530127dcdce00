// WWW-Authenticate challenges ("Bearer realm=..,service=..,scope=..", "Basic realm=..").
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::registry {

struct Challenge {
  std::string scheme;                         // lower case: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lower case; values unquoted

  std::string Param(const std::string& key) const;
};

// Parses every challenge of every WWW-Authenticate header value (RFC 7235: several challenges
// may share one value, separated by commas). Malformed parts are skipped.
std::vector<Challenge> ParseChallenges(const std::vector<std::string>& header_values);

}  // namespace kiln::registry

// Standard base64 (RFC 4648, with padding) for Basic auth and docker's config.json "auth".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::registry {

std::string Base64Encode(std::string_view data);
// nullopt on characters outside the alphabet or bad padding; whitespace is not accepted.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace kiln::registry

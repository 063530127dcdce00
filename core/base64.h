// Standard base64 (RFC 4648, with padding): MSWINDOWS.rawsd / MSWINDOWS.xattr.* PAX values in
// layers/, and Basic auth headers in registry/.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::core {

std::string Base64Encode(std::string_view bytes);
// Decodes standard base64; padding is required when the length is not a multiple of 4
// (as Go's base64.StdEncoding). Fails with kInvalidInput on any other character.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace kiln::core

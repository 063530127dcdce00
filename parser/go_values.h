// Parsers for flag values with the exact rules (and error texts) of the Go functions BuildKit
// uses: time.ParseDuration, strconv.ParseBool/ParseInt/ParseUint, go-units RAMInBytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::parser {

// time.ParseDuration: "1h30m", "1.5s", "300ms", "-2us", "0". Nanoseconds.
core::Result<int64_t> ParseGoDuration(std::string_view s);
// strconv.ParseBool: 1 t T TRUE true True 0 f F FALSE false False.
core::Result<bool> ParseGoBool(std::string_view s);
// strconv.ParseInt(s, 10, 32).
core::Result<int64_t> ParseGoInt32(std::string_view s);
// strconv.ParseUint(s, base, 32) for base 8 or 10.
core::Result<uint64_t> ParseGoUint32(std::string_view s, int base);
// github.com/docker/go-units RAMInBytes: "64m", "1.5GiB", "512 kb", "1024" (binary units).
core::Result<int64_t> ParseRamInBytes(std::string_view s);

// Go's time package quoting of a value in its error messages: bytes >= 0x80 as \xHH.
std::string TimeQuote(std::string_view s);

}  // namespace kiln::parser

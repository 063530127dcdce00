// UTF-8 <-> UTF-16 conversion for the Windows structures kiln encodes itself (backup stream names,
// reparse points, tombstones). Platform-neutral; invalid input fails instead of being replaced.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kiln::layers::windows {

// UTF-8 -> UTF-16 code units; nullopt on malformed UTF-8 (overlong forms, surrogates, > U+10FFFF).
std::optional<std::u16string> Utf8ToUtf16(std::string_view utf8);
// UTF-16 -> UTF-8; nullopt on unpaired surrogates.
std::optional<std::string> Utf16ToUtf8(std::u16string_view utf16);

// Little-endian byte encoding of UTF-16 text, as stored on disk and in backup streams.
std::string Utf16ToBytes(std::u16string_view utf16);
// Decodes little-endian UTF-16 bytes (odd trailing byte ignored).
std::u16string Utf16FromBytes(std::string_view bytes);

}  // namespace kiln::layers::windows

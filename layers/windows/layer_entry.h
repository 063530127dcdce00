// Rules shared by the code that turns Windows layer tar entries into files (transport folders
// and base layer folders): which names are acceptable, whiteouts, alternate data streams, and
// the backup stream an entry becomes (go-winio WriteBackupStreamFromTarFile). Platform-neutral.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/io.h"
#include "layers/tar_entry.h"
#include "layers/windows/backup_stream.h"
#include "layers/windows_layer.h"  // kFiles, kHives, kUtilityVm, kWhiteoutPrefix

namespace kiln::layers::windows {

inline constexpr std::string_view kDirMetadataSuffix = ".$wcidirs$";

// True when `name` is strictly below `dir` ("Files/a" is under "Files"; "Files" is not).
bool IsUnder(std::string_view name, std::string_view dir);
// True for `dir` itself or anything under it.
bool IsAtOrUnder(std::string_view name, std::string_view dir);

// Checks a layer entry name: valid UTF-8, relative, '/'-separated, no empty, "." or ".."
// component, no backslash, control character, < > " | ? * or ':' (alternate streams are
// recognised before this check). The error says which entry and why. (The same rules as
// layers::windows::ValidateName, which cannot be used here: its case folding needs POSIX
// locales, and this code also builds for Windows.)
core::Status CheckEntryName(std::string_view name);

// ASCII case folding for duplicate detection; NTFS would refuse other case-only duplicates
// itself when the folder is written.
std::string FoldCaseAscii(std::string_view name);

// For ".wh.<x>" basenames, the deleted name ("dir/<x>"); nullopt otherwise.
std::optional<std::string> WhiteoutTarget(std::string_view name);

// For an entry named "<file>:<stream>" that follows <file>, the stream name; nullopt when
// `name` is not an alternate stream of `file`. Fails on an empty stream name or one with '/'.
core::Result<std::optional<std::string>> AlternateStreamOf(std::string_view name,
                                                           std::string_view file);

// `root` joined with the '/'-separated UTF-8 entry name (native separators on Windows).
std::filesystem::path EntryPath(const std::filesystem::path& root, std::string_view name);
// A path from UTF-8 text, and back (std::filesystem converts to UTF-16 on Windows).
std::filesystem::path PathFromUtf8(std::string_view text);
std::string PathToUtf8(const std::filesystem::path& path);

// Writes the streams of one entry in go-winio's order: SECURITY (rawsd), EA, REPARSE (symlinks
// and junctions), DATA (regular files, `content` copied in full).
core::Status WriteEntryStreams(const TarEntry& entry, core::Reader* content,
                               BackupStreamWriter& out);
// Writes one alternate data stream (":<stream>:$DATA") of `size` bytes from `content`.
core::Status WriteAlternateStream(std::string_view stream, uint64_t size, core::Reader* content,
                                  BackupStreamWriter& out);

// Reads and discards the rest of `content` (entries kiln skips).
core::Status Drain(core::Reader* content);

}  // namespace kiln::layers::windows

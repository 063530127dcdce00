// PAX extended-header pieces shared by the tar writer and reader: record framing
// ("<len> <key>=<value>\n"), PAX time strings and the vendor keys kiln knows.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "layers/tar_entry.h"

namespace kiln::layers::pax {

inline constexpr std::string_view kPath = "path";
inline constexpr std::string_view kLinkpath = "linkpath";
inline constexpr std::string_view kSize = "size";
inline constexpr std::string_view kUid = "uid";
inline constexpr std::string_view kGid = "gid";
inline constexpr std::string_view kUname = "uname";
inline constexpr std::string_view kGname = "gname";
inline constexpr std::string_view kMtime = "mtime";
inline constexpr std::string_view kAtime = "atime";
inline constexpr std::string_view kCtime = "ctime";
inline constexpr std::string_view kXattrPrefix = "SCHILY.xattr.";
inline constexpr std::string_view kDevMajor = "SCHILY.devmajor";
inline constexpr std::string_view kDevMinor = "SCHILY.devminor";
inline constexpr std::string_view kCreationTime = "LIBARCHIVE.creationtime";
inline constexpr std::string_view kWinFileAttr = "MSWINDOWS.fileattr";
inline constexpr std::string_view kWinRawSd = "MSWINDOWS.rawsd";
inline constexpr std::string_view kWinSddl = "MSWINDOWS.sd";
inline constexpr std::string_view kWinMountPoint = "MSWINDOWS.mountpoint";
inline constexpr std::string_view kWinEaPrefix = "MSWINDOWS.xattr.";
inline constexpr std::string_view kGnuSparsePrefix = "GNU.sparse.";

// "<sec>[.<frac>]" as Go's archive/tar writes it: nanoseconds as 9 digits with trailing zeros
// trimmed, no fraction when zero; negative times count down from the epoch ("-1.5").
std::string FormatTime(TarTime t);
// Inverse of FormatTime; a fraction longer than 9 digits is truncated. Fails on anything else.
core::Result<TarTime> ParseTime(std::string_view text);

// Appends one record "<len> <key>=<value>\n" where <len> counts the whole record.
void AppendRecord(std::string& out, std::string_view key, std::string_view value);

// Splits an extended-header body into records, in order. Fails with a message naming the
// byte offset on a bad length, a missing '=' or newline, or a record running past the end.
core::Result<std::vector<std::pair<std::string, std::string>>> ParseRecords(std::string_view body);

}  // namespace kiln::layers::pax

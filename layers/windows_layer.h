// Windows layer vocabulary (windows-layer-format.md sections 1.2-1.6): FILE_ATTRIBUTE_* bits,
// the security descriptors kiln writes, NTFS-style case folding for duplicate detection, and
// the mapping of container paths (C:\app\x) to layer names (Files/app/x).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::layers::windows {

inline constexpr uint32_t kAttrReadOnly = 0x1;
inline constexpr uint32_t kAttrHidden = 0x2;
inline constexpr uint32_t kAttrSystem = 0x4;
inline constexpr uint32_t kAttrDirectory = 0x10;
inline constexpr uint32_t kAttrArchive = 0x20;
inline constexpr uint32_t kAttrReparsePoint = 0x400;

inline constexpr std::string_view kFiles = "Files";
inline constexpr std::string_view kHives = "Hives";
inline constexpr std::string_view kUtilityVm = "UtilityVM";
inline constexpr std::string_view kWhiteoutPrefix = ".wh.";

// Owner and group of the security descriptor an entry gets.
//
// The rule kiln follows: every entry (including Files, Hives and synthesised parent
// directories) gets BUILTIN\Users (O:BUG:BU) — what crane, ko and the .NET SDK write, readable
// and executable by ContainerUser — unless the entry was added with the Administrators owner
// (COPY --chown=ContainerAdministrator, or an explicit choice), which gets
// BUILTIN\Administrators (O:BAG:BA). Hard links, ADS and whiteouts carry no descriptor
// (as hcs writes them). Both descriptors have no DACL: access comes from inheritance.
enum class Owner { kUsers, kAdministrators };

// The 52-byte self-relative security descriptor for `owner` (raw bytes, not base64).
const std::string& SecurityDescriptor(Owner owner);

// Which descriptors files and directories under Files/ get (`--windows-acl`, docs/windows.md):
//   kUsers    the Owner rule above: O:BUG:BU (or O:BAG:BA), no DACL, so access comes from the
//             parent directories' inheritable ACEs in the base image. What dotnet's container
//             tooling, go-containerregistry and buildpacks write.
//   kBuiltin  BuildKit's Linux-side Windows layers (util/winlayers/differ.go): owner BUILTIN//             Administrators, group SYSTEM, an explicit DACL. Files:
//             O:BAG:SYD:(A;;FA;;;BA)(A;;FA;;;SY)(A;;0x1200a9;;;BU); directories:
//             O:BAG:SYD:(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)(A;;FA;;;BA)(A;OICIIO;GA;;;CO)
//             (A;OICI;0x1200a9;;;BU)(A;CI;LC;;;BU)(A;CI;DC;;;BU). Users may read and execute
//             files but not change them, which a USER ContainerUser image may need.
enum class Acl { kUsers, kBuiltin };
core::Result<Acl> ParseAcl(std::string_view name);  // "users" | "builtin"
const std::string& BuiltinFileDescriptor();
const std::string& BuiltinDirectoryDescriptor();

// Entries Microsoft's exporter and BuildKit write without MSWINDOWS.rawsd: the "Files" and
// "Hives" roots and everything under Hives/ (hcsshim pkg/ociwclayer/export.go with
// internal/wclayer/legacy.go; ../shared/docs/windows-layer-format.md §1.8). Whiteouts, hard
// links and alternate data streams have none either.
bool WrittenWithoutDescriptor(std::string_view name);
// The owner whose descriptor this is, if it is one of kiln's two.
std::optional<Owner> OwnerOf(std::string_view security_descriptor);
// Whether `sd` looks like a self-relative SECURITY_DESCRIPTOR (revision 1, SE_SELF_RELATIVE,
// owner/group/SACL/DACL offsets inside the buffer).
bool IsSelfRelativeSecurityDescriptor(std::string_view sd);

// Upper-cases a UTF-8 name the way NTFS compares names (simple per-code-point upcase), so
// that names differing only by case fold to the same string. Invalid UTF-8 is kept as bytes.
std::string FoldCase(std::string_view name);

// Checks one layer name against Windows rules: relative, '/'-separated, no empty, "." or ".."
// components, no '\\', no control characters or < > " | ? *, and ':' only as the single
// separator of an alternate data stream in the last component when `allow_stream` is set.
// Fails with kInvalidInput saying what is wrong.
core::Status ValidateName(std::string_view name, bool allow_stream);

// Maps a container path to a layer name under Files/: "C:\\app\\x", "c:/app/x", "/app/x" and
// "\\app\\x" all give "Files/app/x"; "C:\\" gives "Files". Relative paths are kInvalidInput
// (resolve them against WORKDIR first), as are other drives, UNC paths, ".." that climbs
// above C:\ (other ".." are resolved) and stray ':'.
core::Result<std::string> LayerNameFromContainerPath(std::string_view path);

// A POSIX symlink target written as a Windows one: '/' -> '\\', and an absolute "/a/b"
// becomes "C:\\a\\b" (the container's C: drive).
std::string SymlinkTargetFromPosix(std::string_view target);

}  // namespace kiln::layers::windows

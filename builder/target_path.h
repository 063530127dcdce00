// Paths inside the image being built: WORKDIR normalisation and COPY/ADD destinations for Linux
// and Windows targets, and the mapping of a container path to its name in a layer tar
// (Windows: C:\app\x -> Files/app/x). Pure functions; no I/O.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace kiln::builder {

// Normalises WORKDIR `requested` against the current working dir. Linux: absolute '/'-path
// (relative ones joined to `current`). Windows (docker's rules): "C:\\foo" form with an
// upper-case drive; "/foo", "\\foo", "foo" (no current) and "c:/foo" all give C:\foo; a bare
// "C:" or "C:." is an error; a drive other than C: is an error.
core::Result<std::string> NormalizeWorkdir(bool windows, std::string_view current,
                                           std::string_view requested);

// A destination resolved for COPY/ADD: an absolute, '/'-separated path without drive letter
// (Windows paths are on C:), cleaned of "." and "..", plus whether it names a directory
// (trailing '/' or '\\' in the instruction, or "." / "" forms).
struct TargetPath {
  std::string path;  // "/app/bin"; "/" for the root
  bool is_dir = false;
};

// Resolves a COPY/ADD destination against the working directory (WORKDIR, in the form
// NormalizeWorkdir returns). Windows: accepts "C:\\x", "c:/x", "/x", "\\x" and relative forms,
// rejects other drives and ':' outside the drive prefix. ".." cannot climb above the root.
core::Result<TargetPath> ResolveDestination(bool windows, std::string_view workdir,
                                            std::string_view dest);

// Joins an absolute target path and a relative '/'-path, cleaning the result.
std::string JoinTarget(std::string_view base, std::string_view rel);

// The entry name of an absolute target path in a layer tar: Linux "app/x" (root = ""),
// Windows "Files/app/x" (root = "Files").
std::string LayerName(bool windows, std::string_view target);

// Cleans a '/'-path: collapses "//", removes ".", resolves ".." without climbing above "/".
std::string CleanPath(std::string_view path);

}  // namespace kiln::builder

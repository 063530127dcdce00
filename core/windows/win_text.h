// UTF-8 inside kiln, UTF-16 only at the Win32 edge: conversions and the long-path form used by
// every *_win.cc that hands a path to Windows. Implemented in core/windows/sys_fs_win.cc.
#pragma once

#include <string>
#include <string_view>

namespace kiln::sys {

std::wstring Utf8ToWide(std::string_view utf8);
std::string WideToUtf8(std::wstring_view wide);
// `path` (UTF-8, '/' or '\' separators, absolute or relative to the working directory) as an
// absolute `\\?\` path (`\\?\UNC\` for shares), so the 260-character limit does not apply.
std::wstring Win32Path(const std::string& path);
// errno for a Win32 error code (ENOENT, EEXIST, EACCES, EWOULDBLOCK...; EIO otherwise).
int ErrnoFromWin32(unsigned long error);

}  // namespace kiln::sys

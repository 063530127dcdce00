// The upper-case mapping NTFS-style case-insensitive names are compared with (windows::FoldCase).
// POSIX: towupper_l in the C.UTF-8 locale (layers/case_fold_posix.cc); Windows: the system's
// own mapping, CharUpperBuffW (layers/windows/case_fold_win.cc).
#pragma once

namespace kiln::layers {

char32_t UpperCaseCodePoint(char32_t cp);

}  // namespace kiln::layers

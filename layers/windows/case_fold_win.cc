// layers/case_fold.h on Windows: CharUpperBuffW, the mapping of the system (NTFS keeps its own
// upcase table, written from the same data when the volume was formatted). Code points outside
// the Basic Multilingual Plane have no case mapping there and stay as they are.
#include <windows.h>

#include "layers/case_fold.h"

namespace kiln::layers {

char32_t UpperCaseCodePoint(char32_t cp) {
  if (cp >= 0x10000 || (cp >= 0xD800 && cp <= 0xDFFF)) return cp;
  wchar_t c = static_cast<wchar_t>(cp);
  CharUpperBuffW(&c, 1);
  return static_cast<char32_t>(c);
}

}  // namespace kiln::layers

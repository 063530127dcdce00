// layers/case_fold.h on POSIX hosts.
#include <locale.h>
#include <wctype.h>

#include "layers/case_fold.h"

namespace kiln::layers {
namespace {

locale_t Utf8Locale() {
  static locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
    return l ? l : newlocale(LC_CTYPE_MASK, "C", static_cast<locale_t>(0));
  }();
  return loc;
}

}  // namespace

char32_t UpperCaseCodePoint(char32_t cp) {
  return static_cast<char32_t>(towupper_l(static_cast<wint_t>(cp), Utf8Locale()));
}

}  // namespace kiln::layers

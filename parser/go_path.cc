#include "parser/go_path.h"

namespace kiln::parser {

std::string CleanPath(std::string_view path) {
  if (path.empty()) return ".";
  const bool rooted = path[0] == '/';
  const size_t n = path.size();
  std::string out;
  out.reserve(n);
  size_t r = 0, dotdot = 0;
  if (rooted) {
    out.push_back('/');
    r = dotdot = 1;
  }
  while (r < n) {
    if (path[r] == '/') {
      ++r;
    } else if (path[r] == '.' && (r + 1 == n || path[r + 1] == '/')) {
      ++r;
    } else if (path[r] == '.' && path[r + 1] == '.' && (r + 2 == n || path[r + 2] == '/')) {
      r += 2;
      if (out.size() > dotdot) {
        out.pop_back();
        while (out.size() > dotdot && out.back() != '/') out.pop_back();
        // Go keeps writing after the element, so drop the separator too (unless it is root).
        if (out.size() > dotdot && out.back() == '/') out.pop_back();
      } else if (!rooted) {
        if (!out.empty()) out.push_back('/');
        out += "..";
        dotdot = out.size();
      }
    } else {
      if ((rooted && out.size() != 1) || (!rooted && !out.empty())) out.push_back('/');
      size_t end = path.find('/', r);
      if (end == std::string_view::npos) end = n;
      out.append(path.substr(r, end - r));
      r = end;
    }
  }
  return out.empty() ? "." : out;
}

std::string DirPath(std::string_view path) {
  size_t slash = path.rfind('/');
  return CleanPath(slash == std::string_view::npos ? std::string_view()
                                                   : path.substr(0, slash + 1));
}

}  // namespace kiln::parser

// Slash-separated path helpers with Go's exact results (path.Clean, path.Dir), as moby's
// patternmatcher and ignorefile apply them to .dockerignore patterns and context paths.
#pragma once

#include <string>
#include <string_view>

namespace kiln::parser {

// Go's path.Clean: removes "." and empty elements and resolves ".." lexically; "" -> ".".
std::string CleanPath(std::string_view path);
// Go's path.Dir: everything before the last '/', cleaned ("a" -> ".", "/a" -> "/").
std::string DirPath(std::string_view path);

}  // namespace kiln::parser

// Locations in a Dockerfile (or any text input), carried by AST nodes, instructions and errors.
#pragma once

#include <string>

namespace kiln::core {

// 1-based line and column. Column counts bytes from the start of the line.
struct SourcePos {
  int line = 0;
  int column = 0;
  bool operator==(const SourcePos&) const = default;
};

// A span of text in a named file; `end` is inclusive of the last line.
struct SourceRange {
  std::string file;
  SourcePos start;
  SourcePos end;
  bool valid() const { return start.line > 0; }
  // "FILE:LINE:COL" (file omitted when empty).
  std::string ToString() const;
  bool operator==(const SourceRange&) const = default;
};

}  // namespace kiln::core

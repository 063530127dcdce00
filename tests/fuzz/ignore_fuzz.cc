// libFuzzer harness: .dockerignore files (ReadIgnoreFile, IgnoreMatcher with its RE2-syntax
// engine) matched against paths taken from the same input and a few fixed ones.
// fuzz-seeds: samples
// fuzz-seeds: tests/parser/data
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "parser/ignore_matcher.h"

using namespace kiln::parser;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> patterns = ReadIgnoreFile(text);
  if (patterns.size() > 64) patterns.resize(64);  // keep one run fast; size is not the point
  auto matcher = IgnoreMatcher::Create(patterns);
  if (!matcher) return 0;
  std::vector<std::string> paths = {"a", "a/b/c.txt", "dir/dir2/file", ".git/config", "x/y/"};
  for (size_t i = 0; i < patterns.size() && i < 4; ++i) paths.push_back(patterns[i]);
  for (const std::string& path : paths) {
    (void)matcher->Matches(path);
    (void)matcher->MatchesLegacy(path);
    IgnoreMatcher::ParentInfo info;
    (void)matcher->MatchesUsingParentResults(path, {}, info);
  }
  return 0;
}

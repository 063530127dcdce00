// JunkRules: the documented list of paths `kiln shrink` removes from the layers it writes
// (caches, temp folders, logs, crash reports), as globs over container paths. Users extend it
// with a rules file or switch it off; rules never apply to files of the base image.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "layers/layer_flavor.h"

namespace kiln::layers {

class JunkRules {
 public:
  // No rules: nothing is junk.
  JunkRules() = default;
  // kiln's default list for the flavour (listed in README "Image size").
  static JunkRules Defaults(LayerFlavor flavor);
  // The default patterns as text, one per line.
  static std::vector<std::string> DefaultPatterns(LayerFlavor flavor);

  // Adds one rule: a glob over container paths without leading '/' or drive ("Windows/Temp/**",
  // "**/*.etl"); '*' and '?' stay inside one path component, "**" spans components. A leading
  // '!' makes an exception: matching paths are never junk. Fails on empty patterns.
  core::Status Add(std::string_view pattern);
  // Adds the rules of a file: one per line, '#' starts a comment, blank lines ignored.
  // Fails with FILE:LINE on a bad line, kNotFound when the file cannot be read.
  core::Status Load(const std::string& path);

  // Adds every rule and exception of `other`.
  void Append(const JunkRules& other);

  // Whether `path` is junk. Windows compares case-insensitively.
  bool Matches(std::string_view path, LayerFlavor flavor) const;
  bool empty() const { return include_.empty(); }
  const std::vector<std::string>& patterns() const { return include_; }

 private:
  std::vector<std::string> include_, exclude_;
  std::vector<std::string> folded_include_, folded_exclude_;
};

// Glob match of a whole path ('*', '?' within a component, "**" across components).
bool GlobMatch(std::string_view pattern, std::string_view path);

}  // namespace kiln::layers

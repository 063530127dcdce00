// A DiffSink for tests: records each entry as one readable line ("f data/a.txt 0644 0:0 3
// =abc", longer contents as a short sha256), so a diff can be compared with the expected list
// in one CHECK, and keeps the contents.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/digest.h"
#include "core/io.h"
#include "layers/snapshotter.h"

namespace kiln::testing {

class DiffRecorder : public layers::DiffSink {
 public:
  core::Status Add(const layers::TarEntry& e, core::Reader* content) override {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", e.mode);
    std::string line = std::string(1, Letter(e.type)) + " " + e.name + " " + mode + " " +
                       std::to_string(e.uid) + ":" + std::to_string(e.gid);
    if (e.type == layers::EntryType::kFile) {
      line += " " + std::to_string(e.size);
      if (content) {
        auto data = core::ReadAll(*content, 64 << 20);
        if (!data) return std::unexpected(data.error());
        line += " =" + (data->size() <= 64 ? *data : core::Digest::Sha256Of(*data).Short());
        contents[e.name] = std::move(*data);
      }
    }
    if (!e.linkname.empty()) line += " -> " + e.linkname;
    if (e.type == layers::EntryType::kCharDevice || e.type == layers::EntryType::kBlockDevice)
      line += " " + std::to_string(e.devmajor) + "," + std::to_string(e.devminor);
    for (const auto& [k, v] : e.xattrs) line += " " + k + "=" + v;
    lines.push_back(line);
    entries.push_back(e);
    return {};
  }

  std::vector<std::string> lines;
  std::vector<layers::TarEntry> entries;
  std::map<std::string, std::string> contents;  // name -> bytes of regular files

 private:
  static char Letter(layers::EntryType t) {
    switch (t) {
      case layers::EntryType::kFile:
        return 'f';
      case layers::EntryType::kHardLink:
        return 'h';
      case layers::EntryType::kSymlink:
        return 'l';
      case layers::EntryType::kCharDevice:
        return 'c';
      case layers::EntryType::kBlockDevice:
        return 'b';
      case layers::EntryType::kDirectory:
        return 'd';
      case layers::EntryType::kFifo:
        return 'p';
    }
    return '?';
  }
};

}  // namespace kiln::testing

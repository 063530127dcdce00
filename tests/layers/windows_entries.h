// Helpers for Windows layer tests: entries with the PAX metadata Windows exports carry, and a
// sink that keeps what it receives.
#pragma once

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/io.h"
#include "layers/snapshotter.h"

namespace kiln::testing {

// O:BUG:BU, the 52-byte self-relative security descriptor (windows-layer-format.md 1.6).
inline const std::string kUsersSecurityDescriptor = std::string(
    "\x01\x00\x00\x80\x14\x00\x00\x00\x24\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x01\x02\x00\x00\x00\x00\x00\x05\x20\x00\x00\x00\x21\x02\x00\x00"
    "\x01\x02\x00\x00\x00\x00\x00\x05\x20\x00\x00\x00\x21\x02\x00\x00",
    52);

// An entry as a Windows export writes it: attributes, rawsd, four distinct times. `plain`
// entries (whiteouts, hard links, alternate streams) carry none of that.
inline layers::TarEntry WinEntry(const std::string& name, layers::EntryType type,
                                 uint32_t attributes, bool plain = false,
                                 const std::string& linkname = "", bool mountpoint = false) {
  layers::TarEntry e;
  e.name = name;
  e.type = type;
  e.linkname = linkname;
  e.mode = 0;
  e.win_mountpoint = mountpoint;
  if (plain) return e;
  e.win_attributes = attributes;
  e.win_security_descriptor = kUsersSecurityDescriptor;
  e.mtime = {1700000000, 123456700};
  e.atime = layers::TarTime{1700000001, 0};
  e.ctime = layers::TarTime{1700000002, 500};
  e.creation_time = layers::TarTime{1690000000, 0};
  return e;
}

// Feeds (entry, content) pairs to a sink, setting each regular file's size from its content.
inline core::Status Feed(layers::DiffSink& sink,
                         const std::vector<std::pair<layers::TarEntry, std::string>>& entries) {
  for (const auto& [entry, content] : entries) {
    layers::TarEntry e = entry;
    if (e.is_file()) e.size = content.size();
    core::StringReader reader(content);
    KILN_TRY(sink.Add(e, content.empty() ? nullptr : &reader));
  }
  return {};
}

struct CollectingSink : layers::DiffSink {
  std::vector<layers::TarEntry> entries;
  std::map<std::string, std::string> contents;
  core::Status Add(const layers::TarEntry& e, core::Reader* content) override {
    entries.push_back(e);
    if (content) {
      auto data = core::ReadAll(*content, 64 << 20);
      if (!data) return core::Fail(data.error());
      if (data->size() != e.size)
        return core::Fail(core::ErrorCode::kInternal, e.name + ": content size mismatch");
      contents[e.name] = *data;
    } else if (e.size != 0) {
      return core::Fail(core::ErrorCode::kInternal, e.name + ": no content for a sized entry");
    }
    return {};
  }
  const layers::TarEntry& Get(const std::string& name) const {
    for (const auto& e : entries)
      if (e.name == name) return e;
    FAIL("no entry " << name);
    throw;
  }
  std::string Content(const std::string& name) const {
    auto it = contents.find(name);
    return it == contents.end() ? std::string() : it->second;
  }
};

}  // namespace kiln::testing

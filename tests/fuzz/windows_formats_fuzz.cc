// libFuzzer harness for the Windows formats kiln decodes from files Windows wrote: Win32 backup
// streams (transport folder files, including sparse data and alternate streams), reparse
// buffers, EA lists, tombstones.txt and HCS JSON (ProcessStatus, ResultError). The first byte
// picks the decoder.
// fuzz-seeds: tests/fuzz/seeds/windows_formats
#include <cstddef>
#include <cstdint>
#include <string>

#include "builder/windows/hcs_documents.h"
#include "layers/windows/backup_file_decoder.h"
#include "layers/windows/extended_attributes.h"
#include "layers/windows/hresult.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/reparse_point.h"
#include "layers/windows/tombstones.h"

namespace {

namespace lw = kiln::layers::windows;

struct DrainSink : kiln::layers::DiffSink {
  kiln::core::Status Add(const kiln::layers::TarEntry& e, kiln::core::Reader* content) override {
    uint64_t total = 0;
    char buf[4096];
    while (content) {
      auto n = content->Read(buf, sizeof buf);
      if (!n) return kiln::core::Fail(n.error());
      if (*n == 0) break;
      total += *n;
      if (total > e.size) __builtin_trap();  // a reader must stop at the entry's size
    }
    return {};
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 6) {
    case 0: {
      lw::StringRandomAccess source(input);
      kiln::layers::TarEntry entry;
      entry.name = "Files/x";
      auto decoded = lw::DecodeBackupFile(source, 0, entry);
      if (decoded && decoded->entry.size < (64u << 20)) {
        DrainSink sink;
        (void)lw::EmitBackupFile(source, *decoded, sink);
      }
      break;
    }
    case 1:
      (void)lw::DecodeReparsePoint(input);
      break;
    case 2:
      (void)lw::DecodeExtendedAttributes(input);
      break;
    case 3:
      (void)lw::ParseTombstones(input);
      break;
    case 4:
      (void)kiln::builder::windows::ParseProcessStatus(input);
      break;
    case 5:
      (void)lw::HcsError("fuzz", lw::kHcsImageMismatch, input);
      break;
  }
  return 0;
}

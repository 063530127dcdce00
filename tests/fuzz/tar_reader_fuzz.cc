// libFuzzer harness for the tar reader: any bytes, plain or compressed, must give entries or a
// clean error — no crash, no unbounded allocation — through TarReader, the decompressors and
// the Windows layer checker.
// fuzz-seeds: tests/fuzz/seeds/tar_reader
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/io.h"
#include "layers/compression.h"
#include "layers/layer_rules.h"
#include "layers/tar_reader.h"

using namespace kiln;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  core::StringReader in(bytes);
  auto tar = layers::NewDecompressor(in, {64 << 20});
  if (!tar) return 0;
  layers::TarReader reader(**tar, {64 << 10});
  layers::LayerRules windows(layers::LayerFlavor::kWindows, false);
  layers::LayerRules linux_rules(layers::LayerFlavor::kLinux, false);
  std::vector<layers::Violation> found;
  char buf[4096];
  for (int i = 0; i < 10000; ++i) {
    auto e = reader.Next();
    if (!e || !*e) break;
    windows.Check(**e, found);
    linux_rules.Check(**e, found);
    found.clear();
    for (;;) {
      auto n = reader.content().Read(buf, sizeof buf);
      if (!n || *n == 0) break;
    }
  }
  windows.Finish(found);
  return 0;
}

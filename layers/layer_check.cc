#include "layers/layer_check.h"

#include <algorithm>

#include "core/sys_fs.h"
#include "layers/compression.h"
#include "layers/fs_util.h"
#include "layers/tar_reader.h"

namespace kiln::layers {

bool LayerReport::ok() const {
  return std::none_of(violations.begin(), violations.end(), [](const Violation& v) {
    return v.severity == Violation::Severity::kError;
  });
}

std::string LayerReport::ErrorsText() const {
  std::string out;
  for (const auto& v : violations)
    if (v.severity == Violation::Severity::kError) out += v.ToString() + "\n";
  return out;
}

core::Result<LayerReport> CheckWindowsLayer(core::Reader& tar, const CheckOptions& options) {
  LayerRules rules(LayerFlavor::kWindows, options.base_layer);
  TarReader reader(tar);
  LayerReport report;
  for (;;) {
    KILN_ASSIGN(const TarEntry* e, reader.Next());
    if (!e) break;
    rules.Check(*e, report.violations);
  }
  rules.Finish(report.violations);
  report.entries = rules.entries();
  return report;
}

core::Result<LayerReport> CheckWindowsLayerFile(const std::string& path,
                                                const CheckOptions& options) {
  int fd = sys::Open(path, sys::kRead);
  if (fd < 0) return ErrnoError("cannot open", path);
  FdReader file(fd, path);
  KILN_ASSIGN(auto tar, NewDecompressor(file));
  auto report = CheckWindowsLayer(*tar, options);
  if (!report) return core::Fail(report.error().Wrap(path));
  return report;
}

}  // namespace kiln::layers

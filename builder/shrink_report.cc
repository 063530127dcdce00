// RenderShrinkReport (declared in image_shrink.h): what each shrink pass saved.
#include <cstdio>

#include "builder/image_shrink.h"
#include "layers/image_inspect.h"

namespace kiln::builder {
namespace {

std::string Row(const std::string& pass, const std::string& what) {
  std::string out = "  " + pass;
  if (out.size() < 30) out.append(30 - out.size(), ' ');
  return out + what + "\n";
}

std::string Size(uint64_t n) { return layers::HumanSize(static_cast<int64_t>(n)); }

}  // namespace

std::string RenderShrinkReport(const ShrinkReport& r) {
  const layers::ShrinkSavings& s = r.savings;
  std::string out = "shrink " + r.before.digest.ToString().substr(0, 19) + " -> " +
                    r.after.digest.ToString().substr(0, 19) + "  (" + std::to_string(r.base_layers) +
                    " base layer(s) untouched)\n";
  out += Row("1 squash", std::to_string(s.squashed_layers) + " layers merged, " + Size(s.squash_bytes) +
                             " of overwritten or deleted files dropped");
  out += Row("2 metadata-only layers", std::to_string(s.empty_layers) + " dropped");
  out += Row("3 junk", std::to_string(s.junk_files) + " files, " + Size(s.junk_bytes) + " dropped");
  out += Row("4 whiteouts", std::to_string(s.useless_whiteouts) + " deleting nothing dropped; " +
                                std::to_string(s.base_deletions) + " delete base files (" +
                                Size(s.base_deleted_bytes) + " that cannot be recovered)");
  int64_t saved = static_cast<int64_t>(r.added_compressed_before) - static_cast<int64_t>(r.added_compressed_after);
  out += Row("5 recompress (total)", Size(r.added_compressed_before) + " -> " +
                                         Size(r.added_compressed_after) + " compressed (" +
                                         (saved >= 0 ? "saved " + Size(saved) : "grew " + Size(-saved)) + ")");
  out += Row("6 dedupe", std::to_string(s.dedupe_files) + " files, " + Size(s.dedupe_bytes) + " as hard links");
  out += Row("added layers", std::to_string(r.layers_before - r.base_layers) + " -> " +
                                 std::to_string(r.layers_after - r.base_layers) + ", tar " +
                                 Size(r.added_tar_before) + " -> " + Size(r.added_tar_after));
  for (const auto& n : r.notes) out += "  note: " + n + "\n";
  return out;
}

}  // namespace kiln::builder

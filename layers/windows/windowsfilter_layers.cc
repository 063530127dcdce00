// WindowsfilterSnapshotter, part 2: the read-only layer folders (import once, reuse, remove).
#include <nlohmann/json.hpp>

#include "layers/windows/layer_entry.h"
#include "layers/windows/windowsfilter_snapshotter.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

constexpr std::string_view kMarker = "kiln-layer.json";
constexpr std::string_view kRemovingSuffix = "-removing";

core::Status Check(HResult hr, const std::string& what) {
  if (!Failed(hr)) return {};
  return Fail(HcsError(what, hr));
}

std::string MarkerJson(const SnapshotLayer& layer, const std::vector<std::string>& chain) {
  nlohmann::ordered_json j;
  j["diff_id"] = layer.diff_id.ToString();
  j["parents"] = chain;
  return j.dump(2) + "\n";
}

core::Result<std::string> ReadSmallFile(LayerFs& fs, const std::filesystem::path& path) {
  KILN_ASSIGN(auto file, fs.Open(path));
  if (file->Size() > (1 << 20))
    return Fail(ErrorCode::kInvalidInput, PathToUtf8(path) + " is too large");
  std::string text(static_cast<size_t>(file->Size()), '\0');
  KILN_ASSIGN(size_t n, file->ReadAt(0, text.data(), text.size()));
  text.resize(n);
  return text;
}

}  // namespace

core::Result<WindowsfilterSnapshotter::FolderState> WindowsfilterSnapshotter::InspectLayerFolder(
    const std::filesystem::path& folder, const std::vector<std::string>& chain) {
  KILN_ASSIGN(auto attrs, fs_.Attributes(folder));
  if (!attrs) return FolderState::kAbsent;
  auto marker = folder / PathFromUtf8(kMarker);
  KILN_ASSIGN(auto marker_attrs, fs_.Attributes(marker));
  if (!marker_attrs) return FolderState::kIncomplete;
  KILN_ASSIGN(std::string text, ReadSmallFile(fs_, marker));
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("parents") || !j["parents"].is_array())
    return FolderState::kIncomplete;
  std::vector<std::string> parents;
  for (const auto& p : j["parents"]) {
    if (!p.is_string()) return FolderState::kIncomplete;
    parents.push_back(p.get<std::string>());
  }
  return parents == chain ? FolderState::kSameChain : FolderState::kOtherChain;
}

core::Result<std::string> WindowsfilterSnapshotter::EnsureLayer(
    const SnapshotLayer& layer, const std::vector<std::string>& chain, LayerOpener& opener) {
  if (layer.diff_id.empty() || layer.diff_id.hex().size() < 32)
    return Fail(ErrorCode::kInternal, "parent layer without a diff_id");
  std::lock_guard lock(import_mu_);
  // The same diff on different parents is a different windowsfilter layer: "<hex>-1", "-2"...
  for (int n = 0; n < 100; ++n) {
    std::string name = layer.diff_id.hex() + (n == 0 ? "" : "-" + std::to_string(n));
    std::filesystem::path folder = options_.root / "layers" / PathFromUtf8(name);
    KILN_ASSIGN(FolderState state, InspectLayerFolder(folder, chain));
    if (state == FolderState::kSameChain) return PathToUtf8(folder);
    if (state == FolderState::kOtherChain) continue;
    if (state == FolderState::kIncomplete) KILN_TRY(RemoveLayerFolder(folder));
    auto imported = ImportInto(folder, layer, chain, opener);
    if (!imported) {
      (void)RemoveLayerFolder(folder);
      return Fail(imported.error().Wrap("importing layer " + layer.diff_id.ToString()));
    }
    return PathToUtf8(folder);
  }
  return Fail(ErrorCode::kConflict, "too many copies of layer " + layer.diff_id.ToString());
}

core::Status WindowsfilterSnapshotter::ImportInto(const std::filesystem::path& folder,
                                                  const SnapshotLayer& layer,
                                                  const std::vector<std::string>& chain,
                                                  LayerOpener& opener) {
  if (!options_.unpack) return Fail(ErrorCode::kInternal, "no layer unpacker configured");
  KILN_TRY(fs_.MakeDirectory(folder));
  KILN_ASSIGN(auto blob, opener.OpenLayer(layer));
  EntrySource entries = [&](DiffSink& sink) { return options_.unpack(layer, *blob, sink); };
  std::filesystem::path staging = TempPath(layer.diff_id.hex().substr(0, 16) + "-import");
  KILN_TRY(fs_.RemoveTree(staging));
  KILN_TRY(importer_.Import(folder, chain, staging, entries));
  // Written last: a folder without it is a partial import and is redone.
  KILN_ASSIGN(auto marker, fs_.CreateNew(folder / PathFromUtf8(kMarker), LayerFs::Kind::kFile));
  std::string json = MarkerJson(layer, chain);
  KILN_TRY(marker->Write(json.data(), json.size()));
  return marker->Close();
}

core::Status WindowsfilterSnapshotter::RemoveLayerFolder(const std::filesystem::path& folder) {
  std::filesystem::path removing = folder;
  removing += PathFromUtf8(kRemovingSuffix);
  KILN_TRY(DestroyAndVerify(removing));  // an earlier removal that was interrupted
  KILN_ASSIGN(auto attrs, fs_.Attributes(folder));
  if (!attrs) return {};
  // The rename fails while anything holds a file of the layer open (moby PR #27963).
  auto renamed = fs_.Rename(folder, removing);
  if (!renamed)
    return Fail(renamed.error().Wrap("layer folder " + PathToUtf8(folder) +
                                     " is still in use (a container or a mount holds it)"));
  return DestroyAndVerify(removing);
}

core::Status WindowsfilterSnapshotter::DestroyAndVerify(const std::filesystem::path& folder) {
  KILN_ASSIGN(auto attrs, fs_.Attributes(folder));
  if (!attrs) return {};
  std::string id = PathToUtf8(folder);
  KILN_TRY(Check(api_.DestroyLayer(id), "DestroyLayer(" + id + ")"));
  // DestroyLayer has been seen to succeed and leave the tree (hcs-api.md 3.5 I).
  KILN_ASSIGN(attrs, fs_.Attributes(folder));
  if (!attrs) return {};
  KILN_TRY(fs_.RemoveTree(folder));
  KILN_ASSIGN(attrs, fs_.Attributes(folder));
  if (attrs) return Fail(ErrorCode::kIo, "DestroyLayer left " + id + " behind");
  return {};
}

void WindowsfilterSnapshotter::Sweep() {
  for (auto dir : {options_.root / "layers", options_.root / "scratch"}) {
    auto entries = fs_.List(dir);
    if (!entries) continue;
    for (const auto& e : *entries)
      if ((e.attributes & kAttrDirectory) && e.name.ends_with(kRemovingSuffix))
        (void)DestroyAndVerify(dir / PathFromUtf8(e.name));
  }
}

}  // namespace kiln::layers::windows

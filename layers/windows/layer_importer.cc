#include "layers/windows/layer_importer.h"

#include "layers/windows/base_layer_writer.h"
#include "layers/windows/layer_entry.h"

namespace kiln::layers::windows {
namespace {

using core::ErrorCode;
using core::Fail;

core::Status Check(HResult hr, const std::string& what) {
  if (!Failed(hr)) return {};
  return Fail(HcsError(what, hr));
}

}  // namespace

core::Result<std::vector<LayerDescriptor>> LayerImporter::Descriptors(
    const std::vector<std::string>& folders) {
  std::vector<LayerDescriptor> out;
  for (const auto& folder : folders) {
    LayerDescriptor d;
    d.path = folder;
    std::string name = PathToUtf8(PathFromUtf8(folder).filename());
    KILN_TRY(Check(api_.NameToGuid(name, &d.id), "NameToGuid(" + name + ")"));
    out.push_back(std::move(d));
  }
  return out;
}

core::Status LayerImporter::Import(const std::filesystem::path& layer,
                                   const std::vector<std::string>& parents,
                                   const std::filesystem::path& staging,
                                   const EntrySource& entries) {
  if (parents.empty()) return ImportBase(layer, entries);
  auto imported = ImportOnParents(layer, parents, staging, entries);
  auto removed = fs_.RemoveTree(staging);
  KILN_TRY(imported);
  return removed;
}

core::Status LayerImporter::ImportBase(const std::filesystem::path& layer,
                                       const EntrySource& entries) {
  BaseLayerWriter writer(fs_, layer);
  KILN_TRY(entries(writer));
  KILN_TRY(writer.Finish());
  KILN_TRY(Check(api_.ProcessBaseImage(PathToUtf8(layer)), "ProcessBaseImage"));
  if (!writer.has_utility_vm()) return {};
  // hcsshim baselayerwriter.go:171-179: UtilityVM must not be a reparse point, then
  // ProcessUtilityImage(<layer>\UtilityVM).
  std::filesystem::path uvm = layer / PathFromUtf8(kUtilityVm);
  KILN_ASSIGN(auto attrs, fs_.Attributes(uvm));
  if (!attrs || (*attrs & kAttrReparsePoint))
    return Fail(ErrorCode::kInvalidInput, "the base layer's UtilityVM is not a directory");
  return Check(api_.ProcessUtilityImage(PathToUtf8(uvm)), "ProcessUtilityImage");
}

core::Status LayerImporter::ImportOnParents(const std::filesystem::path& layer,
                                            const std::vector<std::string>& parents,
                                            const std::filesystem::path& staging,
                                            const EntrySource& entries) {
  KILN_TRY(fs_.MakeDirectory(staging));
  TransportWriter writer(fs_, staging);
  KILN_TRY(entries(writer));
  KILN_TRY(writer.Finish());
  KILN_ASSIGN(auto descriptors, Descriptors(parents));
  KILN_TRY(
      Check(api_.ImportLayer(PathToUtf8(layer), PathToUtf8(staging), descriptors), "ImportLayer"));
  return ApplyAfterImport(layer, parents, writer);
}

core::Status LayerImporter::CheckNoLinkOnTheWay(const std::filesystem::path& root,
                                                const std::string& name) {
  std::filesystem::path at = root;
  size_t start = 0;
  for (size_t slash = name.find('/'); slash != std::string::npos;
       start = slash + 1, slash = name.find('/', start)) {
    at /= PathFromUtf8(std::string_view(name).substr(start, slash - start));
    KILN_ASSIGN(auto attrs, fs_.Attributes(at));
    if (attrs && (*attrs & kAttrReparsePoint))
      return Fail(ErrorCode::kInvalidInput,
                  "layer entry \"" + name + "\" lies below a link; refusing to follow it");
  }
  return {};
}

// What vmcompute ImportLayer leaves to the caller (hcsshim legacyLayerWriterWrapper.Close):
// deletions of parent files, hard links (their targets may live in a parent layer), and the
// directory times that these changes disturbed.
core::Status LayerImporter::ApplyAfterImport(const std::filesystem::path& layer,
                                             const std::vector<std::string>& parents,
                                             const TransportWriter& writer) {
  for (const auto& name : writer.tombstones()) {
    KILN_TRY(CheckNoLinkOnTheWay(layer, name));
    auto removed = fs_.Remove(EntryPath(layer, name));
    if (!removed && removed.error().code != ErrorCode::kNotFound) return removed;
  }
  for (const auto& link : writer.links()) {
    std::filesystem::path target_root;
    if (writer.Added(link.target)) {
      target_root = layer;
    } else {
      for (const auto& parent : parents) {
        std::filesystem::path root = PathFromUtf8(parent);
        KILN_TRY(CheckNoLinkOnTheWay(root, link.target));
        KILN_ASSIGN(auto attrs, fs_.Attributes(EntryPath(root, link.target)));
        if (attrs) {
          target_root = root;
          break;
        }
      }
    }
    if (target_root.empty())
      return Fail(ErrorCode::kInvalidInput, "failed to find link target for \"" + link.name +
                                                "\" -> \"" + link.target + "\"");
    KILN_TRY(CheckNoLinkOnTheWay(target_root, link.target));
    KILN_TRY(CheckNoLinkOnTheWay(layer, link.name));
    auto removed = fs_.Remove(EntryPath(layer, link.name));
    if (!removed && removed.error().code != ErrorCode::kNotFound) return removed;
    KILN_TRY(fs_.HardLink(EntryPath(target_root, link.target), EntryPath(layer, link.name)));
  }
  const auto& dirs = writer.directories();
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    KILN_TRY(CheckNoLinkOnTheWay(layer, it->name));
    KILN_ASSIGN(auto dir, fs_.Open(EntryPath(layer, it->name)));
    KILN_TRY(dir->SetBasicInfo(it->info));
    KILN_TRY(dir->Close());
  }
  return {};
}

}  // namespace kiln::layers::windows

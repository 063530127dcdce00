// Writes the entries of a base Windows layer tar (the first layer of an image, no parents)
// straight into its layer folder, as hcsshim's baseLayerWriter does: each entry is created with
// backup semantics, gets its FILE_BASIC_INFO and a backup stream (security, EAs, reparse data,
// data, alternate streams) through BackupWrite. ProcessBaseImage runs afterwards (LayerImporter),
// and ProcessUtilityImage when the layer has UtilityVM/Files (the Hyper-V utility VM image, kept
// as hcsshim's baseLayerWriter keeps it: internal/wclayer/baselayerwriter.go:85-87, 171-179).
// The boot store files processing changes (UtilityVM/Files/EFI/Microsoft/Boot/BCD and its logs)
// are also saved as bcd.bak, bcd.log.bak, bcd.log1.bak, bcd.log2.bak in the layer folder, as
// hcsshim's importer does (pkg/ociwclayer/import.go:26-31, 118-153).
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "layers/snapshotter.h"
#include "layers/windows/layer_fs.h"
#include "layers/windows/transport_writer.h"

namespace kiln::layers::windows {

class BaseLayerWriter : public DiffSink {
 public:
  BaseLayerWriter(LayerFs& fs, std::filesystem::path root) : fs_(fs), root_(std::move(root)) {}
  ~BaseLayerWriter() override;

  // Adds one entry (tar order). Fails on whiteouts ("base layer cannot have tombstones"), names
  // outside Files/ (and Hives/), unsafe names, duplicates, entries whose parent directory has no
  // entry before them or is a link, and hard links to names not written before.
  core::Status Add(const TarEntry& entry, core::Reader* content) override;
  // Closes the last file and re-applies directory times, children first (creating children
  // changed them). Call once after the last Add.
  core::Status Finish();
  // Whether the layer had a UtilityVM/Files directory (then ProcessUtilityImage is due).
  bool has_utility_vm() const { return has_utility_vm_; }

 private:
  core::Status CloseCurrent();
  core::Status AddLink(const TarEntry& entry);
  core::Status AddFileOrDirectory(const TarEntry& entry, core::Reader* content);
  core::Status CheckParent(const std::string& name) const;
  core::Status SaveBootStoreCopy(const std::string& name);

  LayerFs& fs_;
  std::filesystem::path root_;
  std::unique_ptr<FsFile> current_;
  std::unique_ptr<FsFileWriter> current_writer_;
  std::unique_ptr<BackupStreamWriter> current_stream_;
  std::string current_name_;
  std::set<std::string> added_;        // case-folded names of everything written
  std::set<std::string> directories_;  // case-folded names of real (non-link) directories
  std::vector<DirectoryTimes> directory_times_;
  bool has_utility_vm_ = false;
};

}  // namespace kiln::layers::windows

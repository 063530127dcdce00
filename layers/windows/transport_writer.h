// Turns the entries of a non-base Windows layer tar into a transport folder, the input of
// vmcompute ImportLayer (hcs-api.md 3.4, windows-layer-format.md 1.10; hcsshim legacyLayerWriter):
// files under Files/ become an attribute word + backup stream, directories a directory plus a
// "<dir>.$wcidirs$" file, Hives/ files their raw bytes. What ImportLayer does not do (deletions,
// hard links, directory times) is collected for LayerImporter to apply afterwards.
// UtilityVM/ entries are skipped: kiln runs process-isolated containers only.
#pragma once

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "layers/snapshotter.h"
#include "layers/windows/file_info.h"
#include "layers/windows/layer_entry.h"
#include "layers/windows/layer_fs.h"

namespace kiln::layers::windows {

struct PendingLink {
  std::string name;    // "Files/a/new"
  std::string target;  // "Files/b/existing"
};

struct DirectoryTimes {
  std::string name;
  FileBasicInfo info;
};

class TransportWriter : public DiffSink {
 public:
  TransportWriter(LayerFs& fs, std::filesystem::path root) : fs_(fs), root_(std::move(root)) {}
  ~TransportWriter() override;

  // Adds one entry (tar order). Fails on names outside Files/ and Hives/, unsafe names,
  // duplicates, entries whose parent directory is missing, and entry types Windows layers cannot
  // hold. An alternate data stream ("<file>:<stream>") must directly follow its file.
  core::Status Add(const TarEntry& entry, core::Reader* content) override;
  // Closes the last file and creates the directories of directory reparse points (kept back so
  // no later entry lands inside them). Call once after the last Add.
  core::Status Finish();

  const std::vector<std::string>& tombstones() const { return tombstones_; }
  const std::vector<PendingLink>& links() const { return links_; }
  const std::vector<DirectoryTimes>& directories() const { return directories_; }
  // Names added by this layer (case-folded), for resolving hard-link targets.
  bool Added(const std::string& name) const { return added_.contains(FoldCaseAscii(name)); }
  bool skipped_utility_vm() const { return skipped_utility_vm_; }

 private:
  core::Status CloseCurrent();
  core::Status AddAlternateStream(const std::string& stream, const TarEntry& entry,
                                  core::Reader* content);
  core::Status AddWhiteout(const TarEntry& entry, const std::string& target);
  core::Status AddLink(const TarEntry& entry);
  core::Status AddFileOrDirectory(const TarEntry& entry, core::Reader* content);
  core::Status CheckParent(const std::string& name) const;

  LayerFs& fs_;
  std::filesystem::path root_;
  std::unique_ptr<FsFile> current_;
  std::unique_ptr<FsFileWriter> current_writer_;
  std::unique_ptr<BackupStreamWriter> current_stream_;
  std::string current_name_;
  std::set<std::string> added_;            // case-folded names of files and directories
  std::set<std::string> directories_set_;  // case-folded names of real directories
  std::vector<std::filesystem::path> deferred_dirs_;
  std::vector<std::string> tombstones_;
  std::vector<PendingLink> links_;
  std::vector<DirectoryTimes> directories_;
  bool skipped_utility_vm_ = false;
};

}  // namespace kiln::layers::windows

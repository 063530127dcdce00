// Removes a snapshot when a test's scope ends, also when a REQUIRE failed before the test's own
// Remove, so a failing test leaves no overlay mounted under its temp dir.
#pragma once

#include "layers/snapshotter.h"

namespace kiln::testing {

class SnapshotGuard {
 public:
  SnapshotGuard(layers::Snapshotter& snapshotter, layers::Snapshot snapshot)
      : snapshotter_(snapshotter), snapshot_(std::move(snapshot)) {}
  ~SnapshotGuard() { (void)snapshotter_.Remove(snapshot_); }
  SnapshotGuard(const SnapshotGuard&) = delete;
  SnapshotGuard& operator=(const SnapshotGuard&) = delete;

 private:
  layers::Snapshotter& snapshotter_;
  layers::Snapshot snapshot_;
};

}  // namespace kiln::testing

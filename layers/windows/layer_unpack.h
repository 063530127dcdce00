// Streams a layer blob's tar entries into a DiffSink: decompression by sniffing (gzip, zstd or
// none), our tar reader, and the diff_id check (sha256 of the tar) at the end. The
// windowsfilter snapshotter imports parent layers through it. Platform-neutral.
#pragma once

#include "core/io.h"
#include "layers/snapshotter.h"

namespace kiln::layers::windows {

// Fails on corrupt or hostile archives (the tar reader's and decompressor's errors, naming the
// layer) and with kInvalidInput when the tar's sha256 is not layer.diff_id (when it is set).
core::Status UnpackLayer(const SnapshotLayer& layer, core::Reader& blob, DiffSink& sink);

}  // namespace kiln::layers::windows

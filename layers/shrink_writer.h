// Writes one output layer of a ShrinkPlan: reads each source layer once, in order, and streams
// the planned entries (with the bytes of their source entries) through a LayerWriter, which
// checks the layer rules of the flavour as it goes and compresses (pass 5: recompression).
#pragma once

#include <functional>
#include <memory>

#include "core/error.h"
#include "core/io.h"
#include "layers/blob_store.h"
#include "layers/layer_writer.h"
#include "layers/shrink_plan.h"

namespace kiln::layers {

// Opens the (compressed or plain) blob of image layer `index`.
using SourceOpener = std::function<core::Result<std::unique_ptr<core::Reader>>(size_t index)>;

// Writes `plan` as a new layer blob into `store`. `options.emit_windows_roots` is forced off
// (the plan carries the source's roots). Fails when a source is unreadable or differs from
// its catalog (kConflict), or when the result would break a layer rule (kInvalidInput).
core::Result<LayerResult> WritePlannedLayer(const LayerPlan& plan, const SourceOpener& open,
                                            LayerOptions options, BlobStore& store);

}  // namespace kiln::layers

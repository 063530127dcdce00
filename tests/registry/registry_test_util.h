// Helpers shared by the registry tests: a Client configured for a LocalRegistry, and pushing a
// synthetic TestImage with it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/media_types.h"
#include "core/reference.h"
#include "registry/client.h"
#include "registry/file_blob_source.h"
#include "tests/support/local_registry.h"
#include "tests/support/test_image.h"

namespace kiln::testing {

inline registry::ClientOptions OptionsFor(LocalRegistry& reg, bool logged_in = true) {
  registry::ClientOptions o;
  o.config_dir = reg.ConfigDir(logged_in).string();
  o.certs_dirs = {o.config_dir + "/certs.d"};
  o.retry.initial = std::chrono::milliseconds(50);
  o.retry.max_delay = std::chrono::milliseconds(400);
  if (std::getenv("KILN_TEST_DEBUG"))  // the client's --debug log, for diagnosing a failure
    o.debug_log = [](std::string_view l) { std::fprintf(stderr, "debug: %.*s\n", int(l.size()), l.data()); };
  return o;
}

inline core::Reference Ref(const std::string& text) { return *core::Reference::Parse(text); }

inline std::unique_ptr<registry::BlobSource> SourceOf(const TestBlob& b) {
  if (!b.file.empty()) return std::make_unique<registry::FileBlobSource>(b.file.string());
  return std::make_unique<registry::MemoryBlobSource>(b.bytes);
}

// Pushes every blob of `img` and its manifest under `ref`; returns the error text or "".
inline std::string PushTestImage(registry::Client& client, const core::Reference& ref,
                                 const TestImage& img) {
  std::vector<std::unique_ptr<registry::BlobSource>> sources;
  std::vector<registry::BlobPlan> plans;
  for (const TestBlob* b : {&img.config}) {
    sources.push_back(SourceOf(*b));
    plans.push_back({b->desc, sources.back().get(), {}});
  }
  for (const auto& l : img.layers) {
    sources.push_back(SourceOf(l));
    plans.push_back({l.desc, sources.back().get(), {}});
  }
  if (auto st = client.EnsureBlobs(ref, plans); !st) return st.error().message;
  auto d = client.PutManifest(ref, core::media::kOciManifest, img.manifest);
  if (!d) return d.error().message;
  return "";
}

}  // namespace kiln::testing

// A BlobSource that streams a blob from a registry repository (for copy, and for pushing base
// layers the local store never downloaded). Open(offset) starts a ranged GET on a thread feeding
// a bounded pipe; from offset 0 the digest is verified before the stream ends successfully.
#pragma once

#include "core/image.h"
#include "core/reference.h"
#include "registry/blob_source.h"

namespace kiln::registry {

class Client;

class RemoteBlobSource : public BlobSource {
 public:
  RemoteBlobSource(Client& client, core::Reference repo, core::Descriptor desc)
      : client_(client), repo_(std::move(repo)), desc_(std::move(desc)) {}
  core::Result<std::unique_ptr<core::Reader>> Open(uint64_t offset) override;
  std::string Describe() const override { return repo_.Name(); }

 private:
  Client& client_;
  core::Reference repo_;
  core::Descriptor desc_;
};

}  // namespace kiln::registry

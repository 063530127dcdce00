#include "registry/remote_blob_source.h"

#include <thread>

#include "registry/byte_pipe.h"
#include "registry/client.h"

namespace kiln::registry {
namespace {

class StreamingReader : public core::Reader {
 public:
  StreamingReader(Client& client, const core::Reference& repo, const core::Descriptor& desc,
                  uint64_t offset) {
    thread_ = std::thread([this, &client, repo, desc, offset] {
      BytePipe::WriteEnd end(pipe_);
      auto st = client.FetchBlob(repo, desc, end, nullptr, offset);
      if (!st) end.Fail(st.error());  // FetchBlob closes `end` only after verification
    });
  }
  ~StreamingReader() override {
    pipe_.CloseRead();
    thread_.join();
  }
  core::Result<size_t> Read(void* buffer, size_t size) override { return pipe_.Read(buffer, size); }

 private:
  BytePipe pipe_;
  std::thread thread_;
};

}  // namespace

core::Result<std::unique_ptr<core::Reader>> RemoteBlobSource::Open(uint64_t offset) {
  return std::unique_ptr<core::Reader>(new StreamingReader(client_, repo_, desc_, offset));
}

}  // namespace kiln::registry

// A fault-injecting TCP proxy for integration tests: forwards a loopback port to a server
// (a LocalRegistry) and, on request, drops connections after N bytes, drops them at the next
// request boundary, or answers requests itself with 503 / 429 and Retry-After. Counts the bytes
// it forwards so tests can bound what a client re-sent.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kiln::testing {

class FaultProxy {
 public:
  // Listens on a free loopback port and forwards every connection to 127.0.0.1:upstream_port.
  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  // Cuts the connection (both sides) when the total client-to-server (upload) or
  // server-to-client (download) byte count reaches `at` (counted since construction or
  // ResetCounters). Several cuts may be queued; each fires once.
  void DropUploadAt(uint64_t at);
  void DropDownloadAt(uint64_t at);
  // Once the upload count reaches `at`, cuts the connection when its client starts the next
  // request (after a complete exchange), so the server never sees a partial request.
  void DropNextRequestAfterUpload(uint64_t at);
  // The next `count` requests (on any connection) are answered by the proxy with `status` (and
  // `Retry-After: retry_after_seconds` when >= 0), and their connection is closed.
  void AnswerNextRequests(int status, int count, int retry_after_seconds = -1);

  uint64_t bytes_up() const { return up_.load(); }
  uint64_t bytes_down() const { return down_.load(); }
  int drops() const { return drops_.load(); }
  int answered() const { return answered_.load(); }
  void ResetCounters();

 private:
  struct Answer {
    int status, retry_after;
  };
  void AcceptLoop();
  void Serve(int client);
  bool TakeAnswer(Answer& a);
  bool ShouldDropUpload(uint64_t before, uint64_t after);
  bool ShouldDropDownload(uint64_t before, uint64_t after);
  bool ShouldDropAtRequest();

  int upstream_port_, port_ = 0, listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> up_{0}, down_{0};
  std::atomic<int> drops_{0}, answered_{0}, live_{0};
  std::mutex mu_;
  std::deque<uint64_t> upload_cuts_, download_cuts_, request_cuts_;
  std::deque<Answer> answers_;
  std::thread acceptor_;
};

}  // namespace kiln::testing

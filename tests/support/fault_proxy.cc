#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace kiln::testing {
namespace {

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool WriteAll(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::string Reason(int status) {
  switch (status) {
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Error";
  }
}

// Answers a request whose first bytes were read, then lets the client finish sending (so it
// reads the answer rather than a reset) and closes.
void AnswerAndClose(int client, int status, int retry_after) {
  std::string resp = "HTTP/1.1 " + std::to_string(status) + " " + Reason(status) + "\r\n";
  if (retry_after >= 0) resp += "Retry-After: " + std::to_string(retry_after) + "\r\n";
  resp += "Content-Type: application/json\r\nConnection: close\r\n";
  std::string body = "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"injected by FaultProxy\"}]}";
  resp += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  WriteAll(client, resp.data(), resp.size());
  shutdown(client, SHUT_WR);
  char buf[65536];
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < end) {
    pollfd p{client, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    if (recv(client, buf, sizeof buf, 0) <= 0) break;
  }
  close(client);
}

}  // namespace

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(listen_fd_, 64) != 0)
    throw std::runtime_error("FaultProxy: cannot listen");
  socklen_t len = sizeof a;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() {
  stop_ = true;
  shutdown(listen_fd_, SHUT_RDWR);
  acceptor_.join();
  close(listen_fd_);
  while (live_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

void FaultProxy::DropUploadAt(uint64_t at) {
  std::lock_guard l(mu_);
  upload_cuts_.push_back(at);
}
void FaultProxy::DropDownloadAt(uint64_t at) {
  std::lock_guard l(mu_);
  download_cuts_.push_back(at);
}
void FaultProxy::DropNextRequestAfterUpload(uint64_t at) {
  std::lock_guard l(mu_);
  request_cuts_.push_back(at);
}
void FaultProxy::AnswerNextRequests(int status, int count, int retry_after_seconds) {
  std::lock_guard l(mu_);
  for (int i = 0; i < count; ++i) answers_.push_back({status, retry_after_seconds});
}
void FaultProxy::ResetCounters() {
  up_ = 0;
  down_ = 0;
}

bool FaultProxy::TakeAnswer(Answer& a) {
  std::lock_guard l(mu_);
  if (answers_.empty()) return false;
  a = answers_.front();
  answers_.pop_front();
  return true;
}

bool FaultProxy::ShouldDropUpload(uint64_t before, uint64_t after) {
  std::lock_guard l(mu_);
  if (upload_cuts_.empty() || after < upload_cuts_.front()) return false;
  (void)before;
  upload_cuts_.pop_front();
  return true;
}

bool FaultProxy::ShouldDropDownload(uint64_t before, uint64_t after) {
  std::lock_guard l(mu_);
  if (download_cuts_.empty() || after < download_cuts_.front()) return false;
  (void)before;
  download_cuts_.pop_front();
  return true;
}

bool FaultProxy::ShouldDropAtRequest() {
  std::lock_guard l(mu_);
  if (request_cuts_.empty() || up_.load() < request_cuts_.front()) return false;
  request_cuts_.pop_front();
  return true;
}

void FaultProxy::AcceptLoop() {
  while (!stop_) {
    int c = accept(listen_fd_, nullptr, nullptr);
    if (c < 0) {
      if (stop_) return;
      continue;
    }
    ++live_;
    std::thread([this, c] {
      Serve(c);
      --live_;
    }).detach();
  }
}

// Forwards both directions; a "request start" is client data arriving after server data (or
// first on the connection): HTTP/1.1 without pipelining, which is what curl does.
void FaultProxy::Serve(int client) {
  int server = -1;
  bool last_from_server = true;
  char buf[256 * 1024];
  for (;;) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    int n = poll(fds, server >= 0 ? 2 : 1, 100);
    if (stop_) break;
    if (n <= 0) continue;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t r = recv(client, buf, sizeof buf, 0);
      if (r <= 0) break;
      // A new request begins (a TLS ClientHello, 0x16, is not an HTTP request: let it through).
      if (last_from_server && buf[0] != 0x16) {
        Answer a;
        if (TakeAnswer(a)) {
          ++answered_;
          if (server >= 0) close(server);
          AnswerAndClose(client, a.status, a.retry_after);
          return;
        }
        if (ShouldDropAtRequest()) {
          ++drops_;
          break;
        }
        last_from_server = false;
      }
      if (server < 0 && (server = ConnectLoopback(upstream_port_)) < 0) break;
      uint64_t before = up_.fetch_add(static_cast<uint64_t>(r));
      if (ShouldDropUpload(before, before + r)) {
        ++drops_;
        break;
      }
      if (!WriteAll(server, buf, static_cast<size_t>(r))) break;
    }
    if (server >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
      ssize_t r = recv(server, buf, sizeof buf, 0);
      if (r <= 0) break;
      last_from_server = true;
      uint64_t before = down_.fetch_add(static_cast<uint64_t>(r));
      if (ShouldDropDownload(before, before + r)) {
        ++drops_;
        break;
      }
      if (!WriteAll(client, buf, static_cast<size_t>(r))) break;
    }
  }
  if (server >= 0) close(server);
  close(client);
}

}  // namespace kiln::testing

// libcurl implementation of Transport: a pool of easy handles (each keeps its connections alive
// between requests), streaming bodies through core::Reader / core::Writer, extra CAs added to
// the system store through OpenSSL.
#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <vector>

#include "core/cancel.h"
#include "registry/tls_trust.h"
#include "registry/transport.h"

namespace kiln::registry {
namespace {

constexpr size_t kErrorBodyLimit = 64 << 10;

struct Xfer {
  const HttpRequest* req;
  HttpResponse* resp;
  int current_status = 0;
  std::optional<core::Error> source_error, sink_error;
};

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* x = static_cast<Xfer*>(user);
  std::string_view line(data, size * n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.empty()) {  // end of one response's headers
    int s = x->current_status;
    bool interim = s < 200 || (s >= 300 && s < 400 && x->req->follow_redirects);
    if (!interim && x->req->on_headers) x->req->on_headers(s, x->resp->headers);
    return size * n;
  }
  if (line.starts_with("HTTP/")) {  // a new response (after 1xx or a redirect): start over
    size_t sp = line.find(' ');
    x->current_status = sp == std::string_view::npos ? 0 : std::atoi(line.data() + sp + 1);
    x->resp->status = x->current_status;
    size_t sp2 = sp == std::string_view::npos ? sp : line.find(' ', sp + 1);
    x->resp->reason = sp2 == std::string_view::npos ? "" : std::string(line.substr(sp2 + 1));
    x->resp->headers.Clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    x->resp->headers.Add(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* x = static_cast<Xfer*>(user);
  size_t len = size * n;
  int s = x->current_status;
  if (s >= 300 && s < 400 && x->req->follow_redirects) return len;  // body of a redirect
  bool success = s >= 200 && s < 300;
  if (success && x->req->sink) {
    if (auto st = x->req->sink->Write(data, len); !st) {
      x->sink_error = st.error();
      return 0;
    }
  } else if (success) {
    if (x->resp->body.size() + len > x->req->body_limit) {
      x->sink_error = core::Error{core::ErrorCode::kNetwork,
                                  "response larger than " + std::to_string(x->req->body_limit) +
                                      " bytes",
                                  std::nullopt};
      return 0;
    }
    x->resp->body.append(data, len);
  } else if (x->resp->body.size() < kErrorBodyLimit) {
    x->resp->body.append(data, std::min(len, kErrorBodyLimit - x->resp->body.size()));
  }
  if (success) x->resp->bytes_received += len;
  return len;
}

size_t OnRead(char* buffer, size_t size, size_t n, void* user) {
  auto* x = static_cast<Xfer*>(user);
  if (!x->req->body) return 0;
  auto r = x->req->body->Read(buffer, size * n);
  if (!r) {
    x->source_error = r.error();
    return CURL_READFUNC_ABORT;
  }
  x->resp->bytes_sent += *r;
  return *r;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* x = static_cast<Xfer*>(user);
  if (core::CancelRequested()) return 1;
  return x->req->should_abort && x->req->should_abort() ? 1 : 0;
}

// Adds the request's extra CA files to the store curl built from the system CAs.
CURLcode OnSslContext(CURL*, void* ssl_ctx, void* user) {
  const auto* tls = static_cast<const TlsSettings*>(user);
  X509_STORE* store = SSL_CTX_get_cert_store(static_cast<SSL_CTX*>(ssl_ctx));
  for (const auto& file : tls->ca_files) {
    BIO* bio = BIO_new_file(file.c_str(), "r");
    if (!bio) return CURLE_SSL_CACERT_BADFILE;
    while (X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
      X509_STORE_add_cert(store, cert);  // a duplicate is not an error worth failing for
      X509_free(cert);
    }
    ERR_clear_error();
    BIO_free(bio);
  }
  return CURLE_OK;
}

NetFailure Classify(CURLcode code, const Xfer& x, CURL* h) {
  switch (code) {
    case CURLE_OK: return NetFailure::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return NetFailure::kResolve;
    case CURLE_COULDNT_CONNECT: return NetFailure::kConnect;
    case CURLE_OPERATION_TIMEDOUT: {
      // The overall deadline, or the stall rule / connect timeout (retried).
      curl_off_t total_us = 0;
      curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
      if (x.req->timeout_seconds > 0 && total_us >= x.req->timeout_seconds * 1000000LL - 50000)
        return NetFailure::kDeadline;
      double connect = 0;
      curl_easy_getinfo(h, CURLINFO_CONNECT_TIME, &connect);
      return connect > 0 ? NetFailure::kTransfer : NetFailure::kConnect;
    }
    case CURLE_SSL_CONNECT_ERROR: return NetFailure::kTlsHandshake;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM: return NetFailure::kTlsVerify;
    case CURLE_READ_ERROR: return NetFailure::kBodySource;
    case CURLE_TOO_MANY_REDIRECTS: return NetFailure::kRedirectLoop;
    case CURLE_WRITE_ERROR: return x.sink_error ? NetFailure::kBodySink : NetFailure::kTransfer;
    case CURLE_ABORTED_BY_CALLBACK:
      return x.source_error ? NetFailure::kBodySource : NetFailure::kAborted;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_FAIL_REWIND:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_HTTP3:
    case CURLE_SSL_SHUTDOWN_FAILED: return NetFailure::kTransfer;
    default: return x.source_error ? NetFailure::kBodySource : NetFailure::kOther;
  }
}

class CurlTransport : public Transport {
 public:
  CurlTransport() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }
  ~CurlTransport() override {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }

  HttpResponse Send(const HttpRequest& req) override {
    CURL* h = Acquire();
    HttpResponse resp;
    Xfer x{&req, &resp, 0, std::nullopt, std::nullopt};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = Configure(h, req, x, errbuf);
    CURLcode code = curl_easy_perform(h);
    curl_slist_free_all(headers);
    resp.failure = Classify(code, x, h);
    if (resp.failure != NetFailure::kNone) {
      resp.error = errbuf[0] ? errbuf : curl_easy_strerror(code);
      if (x.source_error) resp.body_error = x.source_error;
      if (x.sink_error) resp.body_error = x.sink_error;
      if (resp.body_error) resp.error = resp.body_error->message;
      if (resp.failure == NetFailure::kAborted) resp.error = "interrupted";
      if (resp.failure == NetFailure::kDeadline)
        resp.error = "no complete answer within " + std::to_string(req.timeout_seconds) +
                     " s (the deadline of one request; see --registry-timeout)";
    }
    char* url = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &url) == CURLE_OK && url)
      resp.effective_url = url;
    Release(h);
    return resp;
  }

 private:
  curl_slist* Configure(CURL* h, const HttpRequest& req, Xfer& x, char* errbuf) {
    curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "kiln/" "0.1");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(req.stall_seconds));
    if (req.timeout_seconds > 0)
      curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout_seconds) * 1000L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L << 10);
    curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L << 10);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &x);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, req.tls.verify ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, req.tls.verify ? 2L : 0L);
    if (long trust = HostTrustSslOptions(); trust != 0 && req.tls.verify)
      curl_easy_setopt(h, CURLOPT_SSL_OPTIONS, trust);
    if (!req.tls.ca_files.empty()) {
      curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, OnSslContext);
      curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, &req.tls);
    }
    if (!req.tls.client_cert.empty()) {
      curl_easy_setopt(h, CURLOPT_SSLCERT, req.tls.client_cert.c_str());
      curl_easy_setopt(h, CURLOPT_SSLKEY, req.tls.client_key.c_str());
    }
    if (req.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (req.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.body_size));
      if (req.method != "PUT") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    if (req.follow_redirects) {
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
      bool https = req.url.starts_with("https:");
      curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    }
    curl_slist* list = curl_slist_append(nullptr, "Expect:");
    for (const auto& [k, v] : req.headers.items())
      list = curl_slist_append(list, (k + ": " + v).c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
    return list;
  }

  CURL* Acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CURL* h = idle_.back();
        idle_.pop_back();
        curl_easy_reset(h);  // keeps live connections, DNS and TLS session caches
        return h;
      }
    }
    return curl_easy_init();
  }

  void Release(CURL* h) {
    std::lock_guard lock(mu_);
    idle_.push_back(h);
  }

  std::mutex mu_;
  std::vector<CURL*> idle_;
};

}  // namespace

std::unique_ptr<Transport> MakeCurlTransport() { return std::make_unique<CurlTransport>(); }

}  // namespace kiln::registry

// A small HTTP/1.1 server (Boost.Beast) for csopsd's web endpoints: provider delivery receipts,
// pages, Server-Sent Events. Keep-alive, one thread per connection up to `max_connections`
// (more are refused with 503), a 10 s idle/read/write timeout per connection so a slow client
// cannot hold a thread, request headers capped at 8 KiB and bodies at 64 KiB. Handlers run on
// the connection's thread and may block briefly (e.g. on a store commit).
//
// Routes are "METHOD /path" (exact) or "METHOD /prefix/" (a trailing slash: every path under
// it; the longest prefix wins). Every request is logged as one "http_request" line with the
// matched route (never the raw path or query, which may carry a look-up code), the status and
// the time taken, and the client's address (behind trusted proxies, the forwarded one: see
// ClientAddress in common/base/cidr.h). Every response says nosniff and no-referrer (a
// progress URL must not leak to other sites through the Referer header).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/base/cidr.h"
#include "common/base/status.h"

namespace csops::http {

struct Request {
  std::string method;                          // "GET", "POST"
  std::string path;                            // without the query
  std::map<std::string, std::string> query;    // percent-decoded
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string peer;     // "ip:port" of the socket's other end
  std::string peer_ip;  // the client's "ip": the socket's, or forwarded by a trusted proxy
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Writes a streamed body (e.g. text/event-stream) to the client as it comes.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // False once the client is gone or the server stops: the stream should end.
  virtual bool Write(const std::string& data) = 0;
  // True once the server is stopping; a stream waiting for data should check it every second.
  virtual bool Stopping() const = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers{};  // extra, e.g. Cache-Control
  // When set, the body is streamed: the header goes out without a length, then `stream` runs
  // on the connection's thread until it returns; the connection closes after it.
  std::function<void(StreamWriter&)> stream{};
};

using Handler = std::function<Response(const Request&)>;

// A certificate chain and its private key, PEM.
struct TlsFiles {
  std::string cert_pem;
  std::string key_pem;
};

class HttpServer {
 public:
  // Binds `listen` ("host:port"; port 0 picks one) and starts accepting. With `tls`, every
  // connection is HTTPS (TLS 1.2 or later); a failed handshake closes it. InvalidArgument naming
  // server.tls.cert_file/key_file when the PEM is unusable. Requests from `trusted_proxies`
  // have their X-Forwarded-For believed for Request::peer_ip.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen,
                                                   std::map<std::string, Handler> routes,
                                                   int max_connections = 256,
                                                   const TlsFiles* tls = nullptr,
                                                   std::vector<Cidr> trusted_proxies = {});
  ~HttpServer();
  int port() const { return port_; }
  // Stops accepting and closes idle connections; in-flight handlers finish.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl, int port);
  std::unique_ptr<Impl> impl_;
  int port_;
};

// "a=1&b=x%20y" -> {a: 1, b: "x y"} ('+' is a space).
std::map<std::string, std::string> ParseQuery(const std::string& query);

}  // namespace csops::http

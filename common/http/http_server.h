// A small HTTP/1.1 server (Boost.Beast) for csopsd's web endpoints: provider delivery receipts
// now, pages later. Keep-alive, one thread per connection up to `max_connections` (more are
// refused with 503), a 10 s idle/read timeout per connection so a slow client cannot hold a
// thread, request bodies capped at 64 KiB. Handlers run on the connection's thread and may block
// briefly (e.g. on a store commit).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "common/status.h"

namespace csops::http {

struct Request {
  std::string method;                        // "GET", "POST"
  std::string path;                          // without the query
  std::map<std::string, std::string> query;  // percent-decoded
  std::string body;
  std::string peer;  // "ip:port"
};

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using Handler = std::function<Response(const Request&)>;

class HttpServer {
 public:
  // Binds `listen` ("host:port"; port 0 picks one) and starts accepting.
  static Result<std::unique_ptr<HttpServer>> Start(const std::string& listen,
                                                   std::map<std::string, Handler> routes,
                                                   int max_connections = 256);
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

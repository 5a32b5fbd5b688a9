#include "common/http/http_server.h"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "common/base/log.h"

namespace csops::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && Hex(s[i + 1]) >= 0 && Hex(s[i + 2]) >= 0) {
      out += static_cast<char>(Hex(s[i + 1]) * 16 + Hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> ParseQuery(const std::string& query) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    const std::string pair = query.substr(start, amp - start);
    const std::size_t eq = pair.find('=');
    if (!pair.empty())
      out[Decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : Decode(pair.substr(eq + 1));
    start = amp + 1;
  }
  return out;
}

namespace {

template <typename Stream>
class SocketWriter final : public StreamWriter {
 public:
  SocketWriter(Stream& socket, const std::atomic<bool>& stopping)
      : socket_(socket), stopping_(stopping) {}
  bool Write(const std::string& data) override {
    if (stopping_ || failed_) return false;
    beast::error_code ec;
    asio::write(socket_, asio::buffer(data), ec);
    failed_ = static_cast<bool>(ec);
    return !failed_;
  }
  bool Stopping() const override { return stopping_; }

 private:
  Stream& socket_;
  const std::atomic<bool>& stopping_;
  bool failed_ = false;
};

}  // namespace

struct HttpServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::map<std::string, Handler> routes;
  int max_connections = 256;
  std::mutex mu;
  std::set<int> open;  // native handles of live connections, guarded by mu
  std::atomic<bool> stopping{false};
  std::atomic<int> live{0};
  std::thread accept_thread;
  std::unique_ptr<asio::ssl::context> tls;  // set: every connection is TLS
  std::vector<Cidr> trusted_proxies;        // whose X-Forwarded-For is believed

  // The handler for method and path, with its route pattern; a null handler with a pattern
  // means the path exists for another method (405); both empty: no such path (404).
  std::pair<const Handler*, std::string> Find(const std::string& method,
                                              const std::string& path) const {
    const Handler* best = nullptr;
    std::string best_pattern, other_method;
    for (const auto& [key, handler] : routes) {
      const std::size_t space = key.find(' ');
      const std::string route_path = key.substr(space + 1);
      const bool prefix = route_path.size() > 1 && route_path.back() == '/';
      const bool match = prefix ? path.size() > route_path.size() &&
                                      path.compare(0, route_path.size(), route_path) == 0
                                : path == route_path;
      if (!match) continue;
      if (key.compare(0, space, method) != 0) {
        other_method = key;
        continue;
      }
      if (!best || key.size() > best_pattern.size()) {
        best = &handler;
        best_pattern = key;
      }
    }
    return {best, best ? best_pattern : other_method};
  }

  void Serve(tcp::socket socket) {
    beast::error_code peer_ec;  // a peer gone already must not throw on this thread
    const tcp::endpoint remote = socket.remote_endpoint(peer_ec);
    const std::string peer_ip = peer_ec ? "?" : remote.address().to_string();
    const std::string peer = peer_ec ? "?" : peer_ip + ":" + std::to_string(remote.port());
    timeval tv{10, 0};  // idle and slow clients give their thread back after 10 s
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    beast::error_code ec;
    if (tls) {
      asio::ssl::stream<tcp::socket&> stream(socket, *tls);
      stream.handshake(asio::ssl::stream_base::server, ec);
      if (ec) {
        CSOPS_LOG(kInfo, "tls_handshake_failed").Kv("error", ec.message());
      } else {
        Exchange(stream, peer, peer_ip);
        stream.shutdown(ec);
      }
    } else {
      Exchange(socket, peer, peer_ip);
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    {
      std::lock_guard<std::mutex> lock(mu);
      open.erase(socket.native_handle());
    }
    socket.close(ec);
    --live;
  }

  // Requests and responses on one connection until it closes, errs or the server stops.
  template <typename Stream>
  void Exchange(Stream& socket, const std::string& peer, const std::string& peer_ip) {
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(8 * 1024);
      parser.body_limit(64 * 1024);
      bhttp::read(socket, buffer, parser, ec);
      if (ec) break;
      const auto started = std::chrono::steady_clock::now();
      const auto& req = parser.get();
      Request r;
      r.method = std::string(req.method_string());
      const std::string target(req.target());
      const std::size_t q = target.find('?');
      r.path = target.substr(0, q);
      if (q != std::string::npos) r.query = ParseQuery(target.substr(q + 1));
      for (const auto& field : req) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        std::string& value = r.headers[name];
        // Repeated X-Forwarded-For lines are one list, in order (RFC 9110, 5.3).
        if (!value.empty() && name == "x-forwarded-for") value += ",";
        value += std::string(field.value());
      }
      r.body = req.body();
      r.peer = peer;
      r.peer_ip = ClientAddress(peer_ip, r.Header("x-forwarded-for"), trusted_proxies);
      Response out{404, "text/plain; charset=utf-8", "not found\n", {}, {}};
      const auto [route, pattern] = Find(r.method, r.path);
      if (route) {
        try {
          out = (*route)(r);
        } catch (const std::exception& e) {  // a handler's bug must not take csopsd down
          CSOPS_LOG(kError, "http_handler_failed").Kv("route", pattern).Kv("error", e.what());
          out = {500, "text/plain; charset=utf-8", "internal error\n", {}, {}};
        }
      } else if (!pattern.empty()) {
        out = {405, "text/plain; charset=utf-8", "method not allowed\n", {}, {}};
      }
      const bool streamed = static_cast<bool>(out.stream);
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status),
                                              req.version()};
      res.set(bhttp::field::content_type, out.content_type);
      res.set(bhttp::field::server, "csopsd");
      res.set("X-Content-Type-Options", "nosniff");
      res.set("Referrer-Policy", "no-referrer");
      for (const auto& [name, value] : out.headers) res.set(name, value);
      if (streamed) {
        // No length: the body is what the stream writes until the connection closes.
        res.set(bhttp::field::connection, "close");
        bhttp::response_serializer<bhttp::string_body> sr{res};
        bhttp::write_header(socket, sr, ec);
      } else {
        res.keep_alive(req.keep_alive());
        res.body() = std::move(out.body);
        res.prepare_payload();
        bhttp::write(socket, res, ec);
      }
      CSOPS_LOG(kInfo, "http_request")
          .Kv("method", r.method)
          .Kv("route", pattern.empty() ? std::string("(none)") : pattern)
          .Kv("status", out.status)
          .Kv("client", r.peer_ip)
          .Kv("ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - started)
                        .count());
      if (streamed && !ec) {
        SocketWriter<Stream> writer(socket, stopping);
        try {
          out.stream(writer);
        } catch (const std::exception& e) {
          CSOPS_LOG(kError, "http_stream_failed").Kv("route", pattern).Kv("error", e.what());
        }
        break;
      }
      if (ec || !req.keep_alive()) break;
    }
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen,
                                                      std::map<std::string, Handler> routes,
                                                      int max_connections, const TlsFiles* tls,
                                                      std::vector<Cidr> trusted_proxies) {
  auto impl = std::make_unique<Impl>();
  impl->trusted_proxies = std::move(trusted_proxies);
  if (tls) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    beast::error_code tec;
    ctx->use_certificate_chain(asio::buffer(tls->cert_pem), tec);
    if (tec) return Status::InvalidArgument("server.tls.cert_file: " + tec.message());
    ctx->use_private_key(asio::buffer(tls->key_pem), asio::ssl::context::pem, tec);
    if (tec) return Status::InvalidArgument("server.tls.key_file: " + tec.message());
    impl->tls = std::move(ctx);
  }
  impl->routes = std::move(routes);
  impl->max_connections = max_connections;
  const std::size_t colon = listen.rfind(':');
  beast::error_code ec;
  std::string host = listen.substr(0, colon);
  if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) return Status::InvalidArgument("http_listen " + listen + ": not an IP address");
  const tcp::endpoint endpoint(address,
                               static_cast<unsigned short>(std::stoi(listen.substr(colon + 1))));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Status::Unavailable("http_listen " + listen + ": cannot listen: " + ec.message());
  const int port = impl->acceptor.local_endpoint().port();
  Impl* p = impl.get();
  impl->accept_thread = std::thread([p] {
    for (;;) {
      tcp::socket socket(p->io);
      beast::error_code aec;
      p->acceptor.accept(socket, aec);
      if (p->stopping) return;
      if (aec) {  // e.g. out of file descriptors: do not spin
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        continue;
      }
      if (p->live.load() >= p->max_connections) {
        const std::string busy =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        socket.write_some(asio::buffer(busy), aec);
        continue;
      }
      ++p->live;
      {
        std::lock_guard<std::mutex> lock(p->mu);
        p->open.insert(socket.native_handle());
      }
      std::thread([p, s = std::move(socket)]() mutable { p->Serve(std::move(s)); }).detach();
    }
  });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl), port));
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl, int port)
    : impl_(std::move(impl)), port_(port) {}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  // shutdown() wakes the accept blocked in the accept thread (close() alone does not).
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  beast::error_code ec;
  impl_->acceptor.close(ec);
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    for (int fd : impl_->open) ::shutdown(fd, SHUT_RDWR);  // idle keep-alive reads end now
  }
  while (impl_->live.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

}  // namespace csops::http

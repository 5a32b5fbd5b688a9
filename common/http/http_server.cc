#include "common/http/http_server.h"

#include <sys/socket.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "common/log.h"

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

  void Serve(tcp::socket socket) {
    beast::error_code peer_ec;  // a peer gone already must not throw on this thread
    const tcp::endpoint remote = socket.remote_endpoint(peer_ec);
    const std::string peer =
        peer_ec ? "?" : remote.address().to_string() + ":" + std::to_string(remote.port());
    timeval tv{10, 0};  // idle and slow clients give their thread back after 10 s
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    beast::flat_buffer buffer;
    beast::error_code ec;
    while (!stopping) {
      bhttp::request_parser<bhttp::string_body> parser;
      parser.body_limit(64 * 1024);
      bhttp::read(socket, buffer, parser, ec);
      if (ec) break;
      const auto& req = parser.get();
      Request r;
      r.method = std::string(req.method_string());
      const std::string target(req.target());
      const std::size_t q = target.find('?');
      r.path = target.substr(0, q);
      if (q != std::string::npos) r.query = ParseQuery(target.substr(q + 1));
      r.body = req.body();
      r.peer = peer;
      Response out{404, "text/plain; charset=utf-8", "not found\n"};
      auto route = routes.find(r.method + " " + r.path);
      if (route != routes.end()) {
        try {
          out = route->second(r);
        } catch (const std::exception& e) {  // a handler's bug must not take csopsd down
          CSOPS_LOG(kError, "http_handler_failed").Kv("path", r.path).Kv("error", e.what());
          out = {500, "text/plain; charset=utf-8", "internal error\n"};
        }
      } else if (std::any_of(routes.begin(), routes.end(), [&](const auto& kv) {
                   return kv.first.substr(kv.first.find(' ') + 1) == r.path;
                 })) {
        out = {405, "text/plain; charset=utf-8", "method not allowed\n"};
      }
      bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status),
                                              req.version()};
      res.set(bhttp::field::content_type, out.content_type);
      res.set(bhttp::field::server, "csopsd");
      res.keep_alive(req.keep_alive());
      res.body() = std::move(out.body);
      res.prepare_payload();
      bhttp::write(socket, res, ec);
      if (ec || !req.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_both, ec);
    {
      std::lock_guard<std::mutex> lock(mu);
      open.erase(socket.native_handle());
    }
    socket.close(ec);
    --live;
  }
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& listen,
                                                      std::map<std::string, Handler> routes,
                                                      int max_connections) {
  auto impl = std::make_unique<Impl>();
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

// fake_provider: a fast local stand-in for an SMS provider's JSON webhook, for benchmarks and
// the notify crash and outage tests. HTTP/1.1 keep-alive, one thread per connection.
//
//   fake_provider --port=0 --port-file=F
//
//   POST /json-sms   {"to","text","client_id"} -> 200 {"id":"F<n>"}   (503 while down)
//   GET  /stats      {"requests","accepted","unique","duplicates","refused","first_ms",
//                     "last_ms","per_second":[accepted requests in each whole second]}
//   GET  /down?on=1  every POST answers 503 until /down?on=0
//
// "duplicates" counts accepted requests whose client_id had been accepted before: what a
// recipient would see twice if the provider did not deduplicate.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include "tools/flags/flags.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Stats {
  std::mutex mu;
  long requests = 0, accepted = 0, duplicates = 0, refused = 0;
  std::unordered_set<std::string> seen;
  std::map<long, long> per_second;  // unix second -> accepted
  long first_ms = 0, last_ms = 0;
  std::atomic<bool> down{false};
};

long NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The "client_id" string value of a flat JSON body (the fields the sender writes).
std::string ClientId(const std::string& body) {
  const std::string key = "\"client_id\":\"";
  auto at = body.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return body.substr(at, body.find('"', at) - at);
}

std::string StatsJson(Stats& s) {
  std::lock_guard<std::mutex> lock(s.mu);
  std::string per = "[";
  if (!s.per_second.empty()) {
    for (long sec = s.per_second.begin()->first; sec <= s.per_second.rbegin()->first; ++sec) {
      auto it = s.per_second.find(sec);
      per +=
          (per.size() > 1 ? "," : "") + std::to_string(it == s.per_second.end() ? 0 : it->second);
    }
  }
  per += "]";
  return "{\"requests\":" + std::to_string(s.requests) +
         ",\"accepted\":" + std::to_string(s.accepted) +
         ",\"unique\":" + std::to_string(s.seen.size()) +
         ",\"duplicates\":" + std::to_string(s.duplicates) +
         ",\"refused\":" + std::to_string(s.refused) +
         ",\"first_ms\":" + std::to_string(s.first_ms) +
         ",\"last_ms\":" + std::to_string(s.last_ms) + ",\"per_second\":" + per + "}";
}

void Serve(tcp::socket socket, Stats& stats) {
  beast::flat_buffer buffer;
  beast::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    const std::string target(req.target());
    if (req.method() == http::verb::post && target.rfind("/json-sms", 0) == 0) {
      std::lock_guard<std::mutex> lock(stats.mu);
      ++stats.requests;
      if (stats.down) {
        ++stats.refused;
        res.result(http::status::service_unavailable);
        res.body() = "{\"error\":\"down\"}";
      } else {
        const long now = NowMs();
        ++stats.accepted;
        if (stats.first_ms == 0) stats.first_ms = now;
        stats.last_ms = now;
        ++stats.per_second[now / 1000];
        if (!stats.seen.insert(ClientId(req.body())).second) ++stats.duplicates;
        res.body() = "{\"id\":\"F" + std::to_string(stats.accepted) + "\"}";
      }
    } else if (target == "/stats") {
      res.body() = StatsJson(stats);
    } else if (target.rfind("/down?on=", 0) == 0) {
      stats.down = target.back() == '1';
      res.body() = "{}";
    } else {
      res.result(http::status::not_found);
      res.body() = "{}";
    }
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !req.keep_alive()) return;
  }
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string port_file;
  CLI::App app("fake_provider: a local stand-in for an SMS provider's JSON webhook.",
               "fake_provider");
  csops::flags::UseCsopsConventions(app);
  app.add_option("--port", port, "TCP port on 127.0.0.1 (0: any free one)")
      ->check(csops::flags::Whole(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", port_file, "write the port bound to this file");
  if (auto rc = csops::flags::Parse(app, argc, argv)) return *rc;
  asio::io_context io;
  tcp::acceptor acceptor(io,
                         {asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  const int bound = acceptor.local_endpoint().port();
  if (!port_file.empty()) {
    std::ofstream(port_file + ".tmp") << bound << "\n";
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());
  }
  std::printf("fake_provider listening on 127.0.0.1:%d\n", bound);
  std::fflush(stdout);
  Stats stats;
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    socket.set_option(tcp::no_delay(true));
    std::thread([s = std::move(socket), &stats]() mutable { Serve(std::move(s), stats); }).detach();
  }
}

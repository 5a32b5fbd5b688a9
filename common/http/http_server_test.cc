#include "common/http/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace csops::http {
namespace {

// Sends `raw` and reads until the server closes or `until` appears.
std::string Exchange(int port, const std::string& raw, const std::string& until = "") {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  EXPECT_EQ(write(fd, raw.data(), raw.size()), static_cast<ssize_t>(raw.size()));
  std::string got;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
    if (!until.empty() && got.find(until) != std::string::npos) break;
  }
  close(fd);
  return got;
}

std::string Get(int port, const std::string& path, const std::string& headers = "") {
  return Exchange(
      port, "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers + "\r\n");
}

TEST(HttpServerTest, ExactAndLongestPrefixRoutesHeadersAndSafetyHeaders) {
  std::map<std::string, Handler> routes;
  routes["GET /a"] = [](const Request&) { return Response{200, "text/plain", "exact", {}, {}}; };
  routes["GET /board/"] = [](const Request& r) {
    return Response{200,
                    "text/plain",
                    "board " + r.path + " " + r.Header("accept-language"),
                    {{"Cache-Control", "no-store"}},
                    {}};
  };
  routes["GET /board/x/events/"] = [](const Request&) {
    return Response{200, "text/plain", "events", {}, {}};
  };
  routes["POST /p"] = [](const Request& r) { return Response{200, "text/plain", r.body, {}, {}}; };
  auto server = HttpServer::Start("127.0.0.1:0", routes);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();
  EXPECT_NE(Get(port, "/a").find("exact"), std::string::npos);
  const std::string board = Get(port, "/board/taipei?x=1", "Accept-Language: en-US,en\r\n");
  EXPECT_NE(board.find("board /board/taipei en-US,en"), std::string::npos) << board;
  EXPECT_NE(board.find("Cache-Control: no-store"), std::string::npos);
  EXPECT_NE(board.find("X-Content-Type-Options: nosniff"), std::string::npos);
  EXPECT_NE(board.find("Referrer-Policy: no-referrer"), std::string::npos);
  EXPECT_NE(Get(port, "/board/x/events/1").find("events"), std::string::npos);  // longest
  EXPECT_NE(Get(port, "/board/").find("404"), std::string::npos);  // a prefix needs more path
  EXPECT_NE(Get(port, "/p").find("405"), std::string::npos);
  EXPECT_NE(Get(port, "/nowhere").find("404"), std::string::npos);
  // Headers over 8 KiB are refused without reaching a handler.
  const std::string huge = Get(port, "/a", "X-Big: " + std::string(9000, 'x') + "\r\n");
  EXPECT_EQ(huge.find("exact"), std::string::npos);
}

TEST(HttpServerTest, TheClientIsForwardedOnlyByATrustedProxy) {
  std::map<std::string, Handler> routes;
  routes["GET /who"] = [](const Request& r) {
    return Response{200, "text/plain", "client=" + r.peer_ip + ";", {}, {}};
  };
  auto direct = HttpServer::Start("127.0.0.1:0", routes);
  auto proxied = HttpServer::Start("127.0.0.1:0", routes, 16, nullptr, {*ParseCidr("127.0.0.0/8")});
  ASSERT_TRUE(direct.ok() && proxied.ok());
  const std::string xff = "X-Forwarded-For: 203.0.113.9\r\n";
  EXPECT_NE(Get((*direct)->port(), "/who", xff).find("client=127.0.0.1;"), std::string::npos);
  EXPECT_NE(Get((*proxied)->port(), "/who", xff).find("client=203.0.113.9;"), std::string::npos);
  EXPECT_NE(Get((*proxied)->port(), "/who").find("client=127.0.0.1;"), std::string::npos);
  // Two header lines are one list; the proxy's (last) entry decides.
  const std::string two = "X-Forwarded-For: 198.51.100.1\r\nX-Forwarded-For: 203.0.113.9\r\n";
  EXPECT_NE(Get((*proxied)->port(), "/who", two).find("client=203.0.113.9;"), std::string::npos);
}

TEST(HttpServerTest, AStreamWritesAsItGoesAndEndsWhenTheServerStops) {
  std::atomic<int> writes{0};
  std::map<std::string, Handler> routes;
  routes["GET /s"] = [&](const Request&) {
    Response r{200, "text/event-stream", "", {}, {}};
    r.stream = [&](StreamWriter& w) {
      while (!w.Stopping() && w.Write("data: " + std::to_string(writes.load()) + "\n\n")) {
        ++writes;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    };
    return r;
  };
  auto server = HttpServer::Start("127.0.0.1:0", routes);
  ASSERT_TRUE(server.ok());
  const std::string got =
      Exchange((*server)->port(), "GET /s HTTP/1.1\r\nHost: x\r\n\r\n", "data: 2\n\n");
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
  EXPECT_EQ(got.find("Content-Length"), std::string::npos);
  EXPECT_NE(got.find("data: 0\n\ndata: 1\n\ndata: 2\n\n"), std::string::npos) << got;
  // The client is gone: the stream's next write fails and its thread is given back.
  const auto before = std::chrono::steady_clock::now();
  (*server)->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(5));
}

}  // namespace
}  // namespace csops::http

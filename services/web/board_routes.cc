// The display board: the page, and its live feed bridged from WatchBoard to Server-Sent Events.
#include <google/protobuf/util/json_util.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <thread>

#include "common/base/html.h"
#include "csops/queue/v1/queue_service.grpc.pb.h"
#include "services/web/web_routes.h"

namespace csops::web::internal {
namespace {

namespace qpb = csops::queue::v1;

constexpr std::size_t kMaxBacklog = 4096;  // events waiting for a stuck browser
constexpr auto kKeepAlive = std::chrono::seconds(15);

std::string BoardPage(const WebOptions& o, const std::string& id, const BranchInfo& b) {
  std::string marquee;
  for (const std::string& m : o.marquee) marquee += "<span>" + EscapeHtml(m) + "</span>";
  const std::string body =
      "<header class=\"board-head\">\n<h1><span lang=\"zh-TW\">" + EscapeHtml(b.name_zh_tw) +
      "</span> <span lang=\"en\" class=\"en\">" + EscapeHtml(b.name_en) +
      "</span></h1>\n<p class=\"clock\" id=\"clock\"></p>\n"
      "<p id=\"link\" class=\"link\" role=\"status\">連線中 <span lang=\"en\">Connecting…</span>"
      "</p>\n</header>\n<main>\n"
      "<section class=\"announce\" aria-labelledby=\"announce-h\">\n<h2 id=\"announce-h\" "
      "class=\"sr-only\">叫號 <span lang=\"en\">Now calling</span></h2>\n"
      "<div id=\"announce\" class=\"announce-box\" aria-live=\"assertive\" aria-atomic=\"true\">"
      "<p class=\"say\" id=\"say-zh\"></p><p class=\"say en\" lang=\"en\" id=\"say-en\"></p>"
      "</div>\n</section>\n"
      "<section class=\"counters-area\" aria-labelledby=\"counters-h\">\n<h2 id=\"counters-h\">"
      "櫃台 <span lang=\"en\">Counters</span></h2>\n<ul id=\"counters\" class=\"counters\"></ul>\n"
      "</section>\n<section class=\"recent-area\" aria-labelledby=\"recent-h\">\n"
      "<h2 id=\"recent-h\">最近叫號 <span lang=\"en\">Recently called</span></h2>\n"
      "<ol id=\"recent\" class=\"recent\"></ol>\n</section>\n"
      "<section class=\"waiting-area\" aria-labelledby=\"waiting-h\">\n<h2 id=\"waiting-h\">"
      "等候人數 <span lang=\"en\">Waiting</span></h2>\n<ul id=\"waiting\" class=\"waiting\"></ul>\n"
      "</section>\n</main>\n" +
      (marquee.empty()
           ? std::string()
           : "<footer class=\"marquee\"><p class=\"marquee-text\">" + marquee + "</p></footer>\n") +
      "<script src=\"/static/board.js\" defer></script>\n";
  return Page("zh-TW", b.name_zh_tw + " 叫號看板", body,
              "<link rel=\"stylesheet\" href=\"/static/board.css\">\n",
              " class=\"board\" data-branch=\"" + EscapeHtml(id) + "\" data-recent=\"" +
                  std::to_string(o.recent_calls) + "\" data-highlight=\"" +
                  std::to_string(o.highlight_seconds) + "\" data-time-zone=\"" +
                  EscapeHtml(b.time_zone) + "\"");
}

// What the reader thread hands to the connection thread.
struct Feed {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> events;  // SSE frames
  bool done = false;
  std::string error;
};

void ReadWatch(std::shared_ptr<grpc::Channel> ch, std::shared_ptr<grpc::ClientContext> ctx,
               std::string branch, std::string client_ip, std::shared_ptr<Feed> feed) {
  auto stub = qpb::QueueService::NewStub(ch);
  ctx->AddMetadata("x-csops-client-ip", client_ip);  // its stream counts for the browser
  qpb::WatchBoardRequest req;
  req.set_branch_id(branch);
  auto reader = stub->WatchBoard(ctx.get(), req);
  google::protobuf::util::JsonPrintOptions json;
  json.preserve_proto_field_names = true;
  json.always_print_primitive_fields = true;
  qpb::BoardEvent e;
  while (reader->Read(&e)) {
    std::string data;
    (void)google::protobuf::util::MessageToJsonString(e, &data, json);
    std::lock_guard<std::mutex> lock(feed->mu);
    if (feed->events.size() >= kMaxBacklog) {  // the browser stopped reading: it reconnects
      feed->done = true;
      feed->error = "backlog";
      break;
    }
    feed->events.push_back("id: " + std::to_string(e.sequence()) + "\nevent: board\ndata: " + data +
                           "\n\n");
    feed->cv.notify_one();
  }
  grpc::Status s = reader->Finish();
  std::lock_guard<std::mutex> lock(feed->mu);
  feed->done = true;
  if (feed->error.empty()) feed->error = s.ok() ? "closed" : s.error_message();
  feed->cv.notify_one();
}

http::Response Events(std::shared_ptr<ServiceChannel> channel, const std::string& branch,
                      const std::string& client_ip) {
  auto ch = channel->Get();
  if (!ch) return Json(503, "{\"error\":\"starting\"}");
  http::Response r{200,
                   "text/event-stream; charset=utf-8",
                   "",
                   {{"Cache-Control", "no-store"}, {"X-Accel-Buffering", "no"}},
                   {}};
  r.stream = [ch, channel, branch, client_ip](http::StreamWriter& w) {
    auto feed = std::make_shared<Feed>();
    auto ctx = std::make_shared<grpc::ClientContext>();
    channel->Prepare(ctx.get());
    std::thread reader(ReadWatch, ch, ctx, branch, client_ip, feed);
    // The browser retries 2 s after the stream ends (csopsd restarting, a backlog).
    bool open = w.Write("retry: 2000\n\n");
    auto last = std::chrono::steady_clock::now();
    while (open && !w.Stopping()) {
      std::deque<std::string> batch;
      bool done = false;
      std::string error;
      {
        std::unique_lock<std::mutex> lock(feed->mu);
        feed->cv.wait_for(lock, std::chrono::seconds(1),
                          [&] { return !feed->events.empty() || feed->done; });
        batch.swap(feed->events);
        done = feed->done;
        error = feed->error;
      }
      for (const std::string& frame : batch)
        if (!(open = w.Write(frame))) break;
      if (open && !batch.empty()) last = std::chrono::steady_clock::now();
      if (open && done) {
        w.Write("event: ended\ndata: " + JsonString(error) + "\n\n");
        break;
      }
      if (open && std::chrono::steady_clock::now() - last > kKeepAlive) {
        open = w.Write(": keep-alive\n\n");
        last = std::chrono::steady_clock::now();
      }
    }
    ctx->TryCancel();
    reader.join();
  };
  return r;
}

}  // namespace

std::map<std::string, http::Handler> BoardRoutes(const WebOptions& o,
                                                 std::shared_ptr<ServiceChannel> channel) {
  std::map<std::string, http::Handler> routes;
  routes["GET /board/"] = [o, channel](const http::Request& r) {
    std::string rest = r.path.substr(std::string("/board/").size());
    const bool events = rest.size() > 7 && rest.compare(rest.size() - 7, 7, "/events") == 0;
    if (events) rest.resize(rest.size() - 7);
    auto b = o.branches.find(rest);
    if (rest.find('/') != std::string::npos || b == o.branches.end())
      return Html(404, Page("zh-TW", "查無此服務所 Not found",
                            "<main><h1>查無此服務所 <span lang=\"en\">No such branch</span></h1>"
                            "</main>\n"));
    if (events) return Events(channel, rest, r.peer_ip);
    return Html(200, BoardPage(o, rest, b->second));
  };
  return routes;
}

}  // namespace csops::web::internal

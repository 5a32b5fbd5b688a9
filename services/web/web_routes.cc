#include "services/web/web_routes.h"

#include "common/base/html.h"
#include "services/web/assets.h"

namespace csops::web {

void ServiceChannel::Set(const auth::ServiceTarget& target) {
  auto ch = target.auth.Connect(target.address);
  std::lock_guard<std::mutex> lock(mu_);
  channel_ = std::move(ch);
  auth_ = target.auth;
}

void ServiceChannel::Prepare(grpc::ClientContext* ctx) const {
  std::lock_guard<std::mutex> lock(mu_);
  auth_.Apply(ctx);
}

std::shared_ptr<grpc::Channel> ServiceChannel::Get() const {
  std::lock_guard<std::mutex> lock(mu_);
  return channel_;
}

std::string_view ContentTypeOf(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

namespace internal {

// Pages load only their own CSS and JS; nothing inline, nothing from elsewhere.
constexpr char kPolicy[] =
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

std::string Page(const std::string& lang, const std::string& title, const std::string& body,
                 const std::string& head_extra, const std::string& body_attrs) {
  return "<!DOCTYPE html>\n<html lang=\"" + EscapeHtml(lang) +
         "\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
         "content=\"width=device-width, initial-scale=1\">\n<title>" +
         EscapeHtml(title) +
         "</title>\n<link rel=\"icon\" href=\"/static/icon.svg\" type=\"image/svg+xml\">\n"
         "<link rel=\"stylesheet\" href=\"/static/page.css\">\n" +
         head_extra + "</head>\n<body" + body_attrs + ">\n" + body + "</body>\n</html>\n";
}

http::Response Html(int status, std::string body) {
  return {status,
          "text/html; charset=utf-8",
          std::move(body),
          {{"Content-Security-Policy", kPolicy}, {"Cache-Control", "no-store"}},
          {}};
}

http::Response Json(int status, std::string body) {
  return {status,
          "application/json; charset=utf-8",
          std::move(body),
          {{"Cache-Control", "no-store"}},
          {}};
}

std::string Tail(const std::string& path, const std::string& prefix) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return "";
  const std::string tail = path.substr(prefix.size());
  return tail.find('/') == std::string::npos ? tail : "";
}

}  // namespace internal

bool RequestRate::Allow(const std::string& client) {
  const auto now = std::chrono::steady_clock::now();
  const auto minute_ago = now - std::chrono::minutes(1);
  std::lock_guard<std::mutex> lock(mu_);
  if (now - last_sweep_ > std::chrono::minutes(1)) {  // forget clients gone quiet
    for (auto it = seen_.begin(); it != seen_.end();)
      it = it->second.empty() || it->second.back() < minute_ago ? seen_.erase(it) : std::next(it);
    last_sweep_ = now;
  }
  auto& times = seen_[client];
  while (!times.empty() && times.front() < minute_ago) times.pop_front();
  if (static_cast<int>(times.size()) >= per_minute_) return false;
  times.push_back(now);
  return true;
}

namespace {

// Public routes answer 429 to a client over its per-minute budget.
http::Handler Limited(std::shared_ptr<RequestRate> rate, http::Handler h) {
  return [rate, h = std::move(h)](const http::Request& r) {
    if (!rate->Allow(r.peer_ip))
      return http::Response{429,
                            "text/plain; charset=utf-8",
                            "too many requests from this address; try again in a minute\n",
                            {{"Retry-After", "60"}},
                            {}};
    return h(r);
  };
}

}  // namespace

std::map<std::string, http::Handler> WebRoutes(const WebOptions& options,
                                               std::shared_ptr<ServiceChannel> channel) {
  std::map<std::string, http::Handler> routes;
  routes["GET /static/"] = [](const http::Request& r) {
    const std::string name = internal::Tail(r.path, "/static/");
    auto asset = EmbeddedAsset(name);
    if (name.empty() || !asset)
      return http::Response{404, "text/plain; charset=utf-8", "not found\n", {}, {}};
    return http::Response{200,
                          std::string(ContentTypeOf(name)),
                          std::string(*asset),
                          {{"Cache-Control", "public, max-age=3600"}},
                          {}};
  };
  // An index for whoever opens the address csopsd prints at start-up.
  routes["GET /"] = [options](const http::Request&) {
    std::string list;
    if (options.queue)
      for (const auto& [id, b] : options.branches)
        list += "<li><a href=\"/board/" + EscapeHtml(id) + "\">" + EscapeHtml(b.name_zh_tw) +
                " 叫號看板</a> <span lang=\"en\">" + EscapeHtml(b.name_en) +
                " display board</span></li>\n";
    if (options.cases)
      list +=
          "<li><a href=\"/progress\">案件進度查詢</a> <span lang=\"en\">Case progress "
          "look-up</span></li>\n";
    return internal::Html(
        200, internal::Page("zh-TW", "csops",
                            "<main>\n<h1>csops</h1>\n<ul>\n" + list + "</ul>\n</main>\n"));
  };
  std::map<std::string, http::Handler> pages;
  if (options.queue) pages.merge(internal::BoardRoutes(options, channel));
  if (options.cases) pages.merge(internal::ProgressRoutes(options, channel));
  auto rate = std::make_shared<RequestRate>(options.public_requests_per_minute);
  for (auto& [route, handler] : pages) routes[route] = Limited(rate, std::move(handler));
  if (options.cases) routes.merge(internal::ReceiptRoutes(options, channel));  // staff only
  return routes;
}

std::vector<auth::AccessRule> WebAccessRules() {
  using namespace config::v1;  // roles
  return {
      auth::PublicRule("GET /"),
      auth::PublicRule("GET /static/"),
      auth::PublicRule("GET /board/"),
      auth::PublicRule("GET /progress"),
      auth::PublicRule("GET /progress/"),
      auth::PublicRule("GET /api/v1/progress/"),
      auth::RoleRule("GET /receipt/", {STAFF, COUNTER, SUPERVISOR}),
  };
}

}  // namespace csops::web

#include "services/web/web_routes.h"

#include "common/html.h"
#include "services/web/assets.h"

namespace csops::web {

void ServiceChannel::Set(const std::string& target) {
  auto ch = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  std::lock_guard<std::mutex> lock(mu_);
  channel_ = std::move(ch);
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
  if (options.queue) routes.merge(internal::BoardRoutes(options, channel));
  if (options.cases) {
    routes.merge(internal::ProgressRoutes(options, channel));
    routes.merge(internal::ReceiptRoutes(options, channel));
  }
  return routes;
}

}  // namespace csops::web

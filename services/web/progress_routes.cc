// The public progress look-up: /progress (form), /progress/<number>?code= (the QR target),
// /api/v1/progress/<number>?code= (JSON). No personal data: LookupProgress answers none.
#include <absl/time/time.h>

#include "common/base/html.h"
#include "common/grpc/proto_time.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "services/web/language.h"
#include "services/web/web_routes.h"

namespace csops::web::internal {
namespace {

namespace cpb = csops::case_::v1;

struct Words {
  const char *title, *number, *code, *look_up, *type, *status, *expected, *delayed, *reason,
      *new_date, *timeline, *not_found, *too_many, *unavailable, *bad_request, *switch_to,
      *form_intro, *office;
};

const Words kZh = {"案件進度查詢",
                   "受理編號",
                   "查詢碼",
                   "查詢",
                   "案件類別",
                   "目前狀態",
                   "預定完成日",
                   "延長處理通知",
                   "延長原因",
                   "新預定完成日",
                   "處理歷程",
                   "查無此案件，或查詢碼不正確。請核對收據上的受理編號與查詢碼。",
                   "查詢失敗次數過多，請一分鐘後再試。",
                   "系統暫時無法查詢，請稍後再試。",
                   "請輸入受理編號與查詢碼。",
                   "English",
                   "請輸入受理收據上的受理編號與查詢碼。",
                   "台灣電力公司 服務所"};
const Words kEn = {"Case progress",
                   "Acceptance number",
                   "Look-up code",
                   "Look up",
                   "Type",
                   "Status",
                   "Expected completion",
                   "Delay notice",
                   "Reason",
                   "New expected date",
                   "Timeline",
                   "No case matches this acceptance number and look-up code. Please check both "
                   "on your receipt.",
                   "Too many failed look-ups. Please try again in a minute.",
                   "The look-up is unavailable right now. Please try again later.",
                   "Please enter the acceptance number and look-up code.",
                   "中文",
                   "Enter the acceptance number and look-up code printed on your receipt.",
                   "Taiwan Power Company service office"};

// "provisional until the 2028 calendar is published", for a date past the calendar's coverage.
std::string ProvisionalNote(const std::string& date, bool en) {
  const std::string year = date.substr(0, 4);
  return en ? "provisional until the " + year + " calendar is published"
            : "暫定，待 " + year + " 年政府行政機關辦公日曆公布後確定";
}

struct Outcome {
  int http = 200;
  grpc::StatusCode code = grpc::StatusCode::OK;
  cpb::LookupProgressResponse progress;
};

Outcome Lookup(ServiceChannel& channel, const std::string& number, const std::string& code,
               const std::string& locale, const std::string& client_ip) {
  Outcome out;
  auto ch = channel.Get();
  if (!ch) return {503, grpc::StatusCode::UNAVAILABLE, {}};
  if (number.empty() || code.empty() || number.size() > 40 || code.size() > 40)
    return {404, grpc::StatusCode::NOT_FOUND, {}};
  auto stub = cpb::CaseService::NewStub(ch);
  grpc::ClientContext ctx;
  channel.Prepare(&ctx);
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  ctx.AddMetadata("x-csops-client-ip", client_ip);
  cpb::LookupProgressRequest req;
  req.set_acceptance_number(number);
  req.set_lookup_code(code);
  req.set_locale(locale);
  grpc::Status s = stub->LookupProgress(&ctx, req, &out.progress);
  out.code = s.error_code();
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
      out.http = 200;
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      out.http = 429;
      break;
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::INVALID_ARGUMENT:  // a malformed number reads like an unknown one
      out.http = 404;
      break;
    default:
      out.http = 503;
  }
  return out;
}

std::string LocalTime(const google::protobuf::Timestamp& t, const absl::TimeZone& zone) {
  return absl::FormatTime("%Y-%m-%d %H:%M",
                          absl::FromUnixMillis(ToUnixMillis(FromProtoTimestamp(t))), zone);
}

std::string StatusName(cpb::CaseStatus s) {
  std::string name = cpb::CaseStatus_Name(s);
  const std::string prefix = "CASE_STATUS_";
  if (name.rfind(prefix, 0) == 0) name = name.substr(prefix.size());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string Form(const Words& w, const std::string& locale, const std::string& number) {
  return "<form class=\"lookup\" action=\"/progress\" method=\"get\">\n<p>" +
         EscapeHtml(w.form_intro) + "</p>\n<label for=\"number\">" + EscapeHtml(w.number) +
         "</label>\n<input id=\"number\" name=\"number\" autocomplete=\"off\" "
         "inputmode=\"text\" required value=\"" +
         EscapeHtml(number) + "\">\n<label for=\"code\">" + EscapeHtml(w.code) +
         "</label>\n<input id=\"code\" name=\"code\" autocomplete=\"off\" required>\n"
         "<input type=\"hidden\" name=\"lang\" value=\"" +
         EscapeHtml(locale) + "\">\n<button type=\"submit\">" + EscapeHtml(w.look_up) +
         "</button>\n</form>\n";
}

std::string ProgressHtml(const Outcome& o, const std::string& locale, const std::string& number,
                         const std::string& code, bool asked, const absl::TimeZone& zone) {
  const Words& w = locale == "en" ? kEn : kZh;
  const std::string other = locale == "en" ? "zh-TW" : "en";
  // Only an answered look-up links to itself: a failed one must not echo what was typed, so a
  // wrong code and an unknown number give byte-identical pages.
  std::string self = "/progress";
  if (asked && o.http == 200)
    self += "/" + EscapeHtml(number) + "?code=" + EscapeHtml(code) + "&amp;lang=" + other;
  else
    self += "?lang=" + other;
  std::string main;
  if (!asked) {
    main = Form(w, locale, "");
  } else if (o.http == 200) {
    const auto& p = o.progress;
    main = "<dl class=\"facts\">\n<div><dt>" + EscapeHtml(w.number) + "</dt><dd class=\"number\">" +
           EscapeHtml(p.acceptance_number()) + "</dd></div>\n<div><dt>" + EscapeHtml(w.type) +
           "</dt><dd>" + EscapeHtml(p.type_name()) + "</dd></div>\n<div><dt>" +
           EscapeHtml(w.status) + "</dt><dd class=\"status status-" + StatusName(p.status()) +
           "\">" + EscapeHtml(p.status_text()) + "</dd></div>\n<div><dt>" + EscapeHtml(w.expected) +
           "</dt><dd><time datetime=\"" + EscapeHtml(p.expected_completion_date()) + "\">" +
           EscapeHtml(p.expected_completion_date()) + "</time>" +
           (p.expected_completion_provisional()
                ? " <span class=\"provisional\">(" +
                      EscapeHtml(ProvisionalNote(p.expected_completion_date(), locale == "en")) +
                      ")</span>"
                : std::string()) +
           "</dd></div>\n</dl>\n";
    if (!p.delay_reason().empty())
      main += "<section class=\"delay\" aria-labelledby=\"delay-h\">\n<h2 id=\"delay-h\">" +
              EscapeHtml(w.delayed) + "</h2>\n<p><strong>" + EscapeHtml(w.reason) +
              "</strong>: " + EscapeHtml(p.delay_reason()) + "</p>\n<p><strong>" +
              EscapeHtml(w.new_date) + "</strong>: <time datetime=\"" +
              EscapeHtml(p.expected_completion_date()) + "\">" +
              EscapeHtml(p.expected_completion_date()) + "</time></p>\n</section>\n";
    main += "<section aria-labelledby=\"timeline-h\">\n<h2 id=\"timeline-h\">" +
            EscapeHtml(w.timeline) + "</h2>\n<ol class=\"timeline\">\n";
    for (const auto& step : p.timeline())
      main += "<li><time>" + EscapeHtml(LocalTime(step.at(), zone)) + "</time> " +
              EscapeHtml(step.text()) + "</li>\n";
    main += "</ol>\n</section>\n";
  } else {
    const char* message = o.http == 429 ? w.too_many : o.http == 404 ? w.not_found : w.unavailable;
    main = "<p class=\"problem\" role=\"alert\">" + EscapeHtml(message) + "</p>\n" +
           Form(w, locale, "");
  }
  const std::string body = "<header class=\"site\">\n<p class=\"brand\">" + EscapeHtml(w.office) +
                           "</p>\n<a class=\"lang-switch\" lang=\"" + other + "\" hreflang=\"" +
                           other + "\" href=\"" + self + "\">" + EscapeHtml(w.switch_to) +
                           "</a>\n</header>\n<main>\n<h1>" + EscapeHtml(w.title) + "</h1>\n" +
                           main + "</main>\n";
  return Page(locale, w.title, body);
}

std::string ProgressJson(const Outcome& o, const std::string& locale) {
  if (o.http != 200) {
    const char* error = o.http == 429   ? "rate_limited"
                        : o.http == 404 ? "not_found"
                                        : "unavailable";
    const Words& w = locale == "en" ? kEn : kZh;
    const char* message = o.http == 429 ? w.too_many : o.http == 404 ? w.not_found : w.unavailable;
    return "{\"error\":" + JsonString(error) + ",\"message\":" + JsonString(message) + "}";
  }
  const auto& p = o.progress;
  std::string timeline;
  for (const auto& step : p.timeline())
    timeline += std::string(timeline.empty() ? "" : ",") +
                "{\"at\":" + JsonString(FormatRfc3339Utc(FromProtoTimestamp(step.at()))) +
                ",\"text\":" + JsonString(step.text()) + "}";
  return "{\"acceptance_number\":" + JsonString(p.acceptance_number()) +
         ",\"locale\":" + JsonString(locale) + ",\"type_name\":" + JsonString(p.type_name()) +
         ",\"status\":" + JsonString(StatusName(p.status())) +
         ",\"status_text\":" + JsonString(p.status_text()) +
         ",\"expected_completion_date\":" + JsonString(p.expected_completion_date()) +
         ",\"expected_completion_provisional\":" +
         (p.expected_completion_provisional() ? "true" : "false") + ",\"delay\":" +
         (p.delay_reason().empty()
              ? std::string("null")
              : "{\"reason\":" + JsonString(p.delay_reason()) +
                    ",\"new_expected_date\":" + JsonString(p.expected_completion_date()) + "}") +
         ",\"timeline\":[" + timeline + "]}";
}

std::string Query(const http::Request& r, const std::string& key) {
  auto it = r.query.find(key);
  return it == r.query.end() ? "" : it->second;
}

http::Response WithRetry(http::Response r) {
  if (r.status == 429) r.headers.push_back({"Retry-After", "60"});
  return r;
}

}  // namespace

std::map<std::string, http::Handler> ProgressRoutes(const WebOptions& o,
                                                    std::shared_ptr<ServiceChannel> channel) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(o.time_zone, &zone)) zone = absl::UTCTimeZone();
  std::map<std::string, http::Handler> routes;
  auto page = [channel, zone](const http::Request& r, const std::string& number) {
    const std::string locale = PickLocale(Query(r, "lang"), r.Header("accept-language"));
    const std::string code = Query(r, "code");
    const bool asked = !number.empty() || !code.empty();
    Outcome out;
    if (asked) out = Lookup(*channel, number, code, locale, r.peer_ip);
    return WithRetry(
        Html(asked ? out.http : 200, ProgressHtml(out, locale, number, code, asked, zone)));
  };
  routes["GET /progress"] = [page](const http::Request& r) { return page(r, Query(r, "number")); };
  routes["GET /progress/"] = [page](const http::Request& r) {
    return page(r, Tail(r.path, "/progress/"));
  };
  routes["GET /api/v1/progress/"] = [channel](const http::Request& r) {
    const std::string locale = PickLocale(Query(r, "lang"), r.Header("accept-language"));
    Outcome out =
        Lookup(*channel, Tail(r.path, "/api/v1/progress/"), Query(r, "code"), locale, r.peer_ip);
    return WithRetry(Json(out.http, ProgressJson(out, locale)));
  };
  return routes;
}

}  // namespace csops::web::internal

// The printable acceptance receipt (受理收據／登記單回條), for staff: /receipt/<number>?code=.
// The look-up code is never stored (only its hash), so the staff client that just created the
// case passes it on; a wrong code gets no receipt. The QR code holds the public progress link.
#include <absl/time/time.h>

#include "common/base/html.h"
#include "common/grpc/proto_time.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "services/web/qr_svg.h"
#include "services/web/web_routes.h"

namespace csops::web::internal {
namespace {

namespace cpb = csops::case_::v1;

http::Response Problem(int status, const std::string& zh, const std::string& en) {
  return Html(status, Page("zh-TW", zh,
                           "<main><h1>" + EscapeHtml(zh) + "</h1><p lang=\"en\">" + EscapeHtml(en) +
                               "</p></main>\n"));
}

std::string Row(const std::string& zh, const std::string& en, const std::string& value,
                const std::string& cls = "") {
  return "<div" + (cls.empty() ? std::string() : " class=\"" + cls + "\"") + "><dt>" +
         EscapeHtml(zh) + " <span lang=\"en\">" + EscapeHtml(en) + "</span></dt><dd>" + value +
         "</dd></div>\n";
}

}  // namespace

std::map<std::string, http::Handler> ReceiptRoutes(const WebOptions& o,
                                                   std::shared_ptr<ServiceChannel> channel) {
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(o.time_zone, &zone)) zone = absl::UTCTimeZone();
  std::map<std::string, http::Handler> routes;
  routes["GET /receipt/"] = [o, channel, zone](const http::Request& r) {
    if (!InAnyNetwork(r.peer_ip, o.staff_networks))
      return Problem(403, "僅限服務所內部網路使用", "Staff networks only");
    const std::string number = Tail(r.path, "/receipt/");
    auto code_it = r.query.find("code");
    const std::string code = code_it == r.query.end() ? "" : code_it->second;
    if (number.empty() || code.empty() || number.size() > 40 || code.size() > 40)
      return Problem(400, "需要受理編號與查詢碼", "The acceptance number and ?code= are required");
    auto ch = channel->Get();
    if (!ch) return Problem(503, "系統啟動中", "Starting");
    auto stub = cpb::CaseService::NewStub(ch);
    cpb::LookupProgressResponse progress;
    {
      grpc::ClientContext ctx;
      channel->Prepare(&ctx);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      ctx.AddMetadata("x-csops-client-ip", r.peer_ip);
      cpb::LookupProgressRequest req;
      req.set_acceptance_number(number);
      req.set_lookup_code(code);
      req.set_locale("zh-TW");
      grpc::Status s = stub->LookupProgress(&ctx, req, &progress);
      if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
        return Problem(429, "查詢失敗次數過多", "Too many failed look-ups; try in a minute");
      if (!s.ok()) return Problem(404, "查無此案件或查詢碼錯誤", "No case matches number and code");
    }
    cpb::Case c;
    {
      grpc::ClientContext ctx;
      channel->Prepare(&ctx);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      cpb::GetCaseRequest req;
      req.set_acceptance_number(number);
      cpb::GetCaseResponse resp;
      grpc::Status s = stub->GetCase(&ctx, req, &resp);
      if (!s.ok()) return Problem(503, "暫時無法取得案件", "The case is unavailable right now");
      c = resp.case_();
    }
    const std::string url =
        o.public_base_url + "/progress/" + progress.acceptance_number() + "?code=" + code;
    auto qr = QrSvg(url, "案件進度查詢 QR code: " + url, 4);
    if (!qr.ok()) return Problem(500, "無法產生 QR code", qr.status().message());
    BranchInfo branch;
    if (auto b = o.branches.find(c.branch_id()); b != o.branches.end()) branch = b->second;
    const std::string accepted = absl::FormatTime(
        "%Y-%m-%d %H:%M", absl::FromUnixMillis(ToUnixMillis(FromProtoTimestamp(c.accepted_at()))),
        zone);
    const std::string body =
        "<main class=\"receipt\">\n<header>\n<p class=\"brand\">台灣電力公司 " +
        EscapeHtml(branch.name_zh_tw) + " <span lang=\"en\">Taiwan Power Company, " +
        EscapeHtml(branch.name_en) +
        "</span></p>\n<h1>受理收據 <span lang=\"en\">Acceptance receipt</span></h1>\n</header>\n"
        "<dl class=\"facts\">\n" +
        Row("受理編號", "Acceptance number", EscapeHtml(progress.acceptance_number()), "number") +
        Row("案件類別", "Type", EscapeHtml(progress.type_name())) +
        Row("受理日期", "Accepted", "<time>" + EscapeHtml(accepted) + "</time>") +
        Row("預定完成日", "Expected completion",
            "<time datetime=\"" + EscapeHtml(progress.expected_completion_date()) + "\">" +
                EscapeHtml(progress.expected_completion_date()) + "</time>") +
        Row("承辦部門及電話", "Office contact",
            EscapeHtml(branch.contact_department) + " " + EscapeHtml(branch.contact_phone)) +
        Row("查詢碼", "Look-up code", "<span class=\"code\">" + EscapeHtml(code) + "</span>") +
        "</dl>\n<figure class=\"qr-box\">\n" + *qr +
        "\n<figcaption>掃描 QR code 或至下列網址查詢辦理進度 <span lang=\"en\">Scan to follow "
        "your case</span><br><span class=\"url\">" +
        EscapeHtml(url) +
        "</span></figcaption>\n</figure>\n<p class=\"keep\">請妥善保存本收據。 <span lang=\"en\">"
        "Please keep this receipt.</span></p>\n<p class=\"no-print\"><button type=\"button\" "
        "id=\"print\">列印 <span lang=\"en\">Print</span></button></p>\n</main>\n"
        "<script src=\"/static/receipt.js\" defer></script>\n";
    return Html(200, Page("zh-TW", "受理收據 " + progress.acceptance_number(), body));
  };
  return routes;
}

}  // namespace csops::web::internal

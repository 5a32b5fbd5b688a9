#include "services/notify/api/receipt_routes.h"

#include <future>
#include <nlohmann/json.hpp>

namespace csops::notify {
namespace {

http::Response Apply(NotifyEngine& engine, const std::string& provider, const std::string& id,
                     bool delivered, const std::string& detail, bool mitake_reply) {
  if (id.empty() || id.size() > 200) return {400, "text/plain; charset=utf-8", "msgid: required\n"};
  std::promise<Result<bool>> p;
  engine.ReportDelivery(provider, id, delivered, detail.substr(0, 200),
                        [&p](Result<bool> r) { p.set_value(std::move(r)); });
  auto r = p.get_future().get();
  if (!r.ok()) return {503, "text/plain; charset=utf-8", "not recorded, retry later\n"};
  if (mitake_reply)
    return {200, "text/plain; charset=utf-8", "magicid=sms_gateway_rpack\nmsgid=" + id + "\n"};
  return {200, "application/json", nlohmann::json{{"applied", *r}}.dump()};
}

}  // namespace

std::map<std::string, http::Handler> ReceiptRoutes(NotifyEngine& engine) {
  std::map<std::string, http::Handler> routes;
  for (const ProviderModel& p : engine.config().providers) {
    if (p.kind == ProviderKind::kPostcardFile || p.kind == ProviderKind::kSmtp) continue;
    const std::string path = "/receipts/" + p.name;
    const std::string name = p.name;
    routes["GET " + path] = [&engine, name](const http::Request& r) {
      auto get = [&](const char* k) {
        auto it = r.query.find(k);
        return it == r.query.end() ? std::string() : it->second;
      };
      const std::string status = get("statusstr"), code = get("statuscode");
      const bool delivered = status == "DELIVRD" || (status.empty() && code == "0");
      return Apply(engine, name, get("msgid"), delivered,
                   status.empty() ? "statuscode " + code : status, true);
    };
    routes["POST " + path] = [&engine, name](const http::Request& r) {
      const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object() || !j.contains("id") || !j["id"].is_string() || !j.contains("delivered") ||
          !j["delivered"].is_boolean())
        return http::Response{400, "text/plain; charset=utf-8",
                              "body: {\"id\": string, \"delivered\": bool} required\n"};
      const std::string detail =
          j.contains("detail") && j["detail"].is_string() ? j["detail"].get<std::string>() : "";
      return Apply(engine, name, j["id"].get<std::string>(), j["delivered"].get<bool>(), detail,
                   false);
    };
  }
  return routes;
}

}  // namespace csops::notify

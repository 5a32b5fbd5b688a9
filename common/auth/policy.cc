#include "common/auth/policy.h"

#include <algorithm>
#include <cctype>

namespace csops::auth {
namespace {

using config::v1::BILLING;
using config::v1::COUNTER;
using config::v1::KIOSK;
using config::v1::METRICS;
using config::v1::SERVICE;
using config::v1::STAFF;
using config::v1::SUPERVISOR;

AccessRule Public(std::string route) { return {std::move(route), true, {}}; }
AccessRule Roles(std::string route, std::vector<Role> roles) {
  return {std::move(route), false, std::move(roles)};
}

const std::string kQueue = "/csops.queue.v1.QueueService/";
const std::string kCase = "/csops.case.v1.CaseService/";
const std::string kNotify = "/csops.notify.v1.NotifyService/";

std::vector<AccessRule> BuildTable() {
  std::vector<AccessRule> t = {
      // Queue: kiosks issue, counters act (for their own branch: the key's branch), boards
      // watch without a key.
      Roles(kQueue + "IssueTicket", {KIOSK, COUNTER}),
      Roles(kQueue + "CallNext", {COUNTER}),
      Roles(kQueue + "Recall", {COUNTER}),
      Roles(kQueue + "StartServing", {COUNTER}),
      Roles(kQueue + "Complete", {COUNTER}),
      Roles(kQueue + "MarkNoShow", {COUNTER}),
      Roles(kQueue + "Cancel", {KIOSK, COUNTER}),
      Roles(kQueue + "Requeue", {COUNTER}),
      Roles(kQueue + "Transfer", {COUNTER}),
      Roles(kQueue + "OpenCounter", {COUNTER}),
      Roles(kQueue + "PauseCounter", {COUNTER}),
      Roles(kQueue + "CloseCounter", {COUNTER}),
      Roles(kQueue + "GetTicket", {KIOSK, COUNTER, SUPERVISOR}),
      Public(kQueue + "GetBranchSnapshot"),
      Public(kQueue + "WatchBoard"),
      Roles(kQueue + "ListNearTurnNotices", {SUPERVISOR, SERVICE}),
      Roles(kQueue + "GetQueueReport", {SUPERVISOR}),
      // Cases: staff work them; the public looks up progress with number and code.
      Roles(kCase + "CreateCase", {STAFF, SUPERVISOR, SERVICE}),
      Roles(kCase + "GetCase", {STAFF, SUPERVISOR, SERVICE}),
      Roles(kCase + "Transition", {STAFF, SUPERVISOR}),
      Roles(kCase + "AddNote", {STAFF, SUPERVISOR}),
      Roles(kCase + "Assign", {STAFF, SUPERVISOR}),
      Roles(kCase + "ListCases", {STAFF, SUPERVISOR}),
      Roles(kCase + "WatchSlaEvents", {SUPERVISOR}),
      Roles(kCase + "GetSlaReport", {SUPERVISOR}),
      Roles(kCase + "DeclareDelay", {STAFF, SUPERVISOR}),
      Public(kCase + "LookupProgress"),
      // Notices: billing sends and runs plans; csops services send through their relays.
      Roles(kNotify + "Send", {BILLING, SERVICE}),
      Roles(kNotify + "SendBatch", {BILLING}),
      Roles(kNotify + "GetNotification", {BILLING, SERVICE, SUPERVISOR}),
      Roles(kNotify + "ListNotifications", {BILLING, SUPERVISOR}),
      Roles(kNotify + "ReportDelivery", {BILLING, SERVICE}),
      Roles(kNotify + "SetPreferences", {BILLING, STAFF}),
      Roles(kNotify + "GetPreferences", {BILLING, STAFF}),
      Roles(kNotify + "StartPlan", {BILLING}),
      Roles(kNotify + "StopPlan", {BILLING}),
      Roles(kNotify + "GetNotifyReport", {SUPERVISOR}),
      Roles("/csops.admin.v1.AdminService/GetServerInfo", {METRICS, SUPERVISOR}),
      // gRPC's own services: health for load balancers, reflection (the API's shape only).
      Public("/grpc.health.v1.Health/Check"),
      Public("/grpc.health.v1.Health/Watch"),
      Public("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
      // HTTP.
      Public("GET /"),
      Public("GET /healthz"),
      Public("GET /static/"),
      Public("GET /board/"),
      Public("GET /progress"),
      Public("GET /progress/"),
      Public("GET /api/v1/progress/"),
      Roles("GET /metrics", {METRICS}),
      Roles("GET /receipt/", {STAFF, COUNTER, SUPERVISOR}),
      Roles("GET /receipts/", {SERVICE}),
      Roles("POST /receipts/", {SERVICE}),
  };
  return t;
}

}  // namespace

const std::vector<AccessRule>& AccessTable() {
  static const std::vector<AccessRule> table = BuildTable();
  return table;
}

const AccessRule* FindRule(const std::string& route) {
  const AccessRule* best = nullptr;
  for (const AccessRule& r : AccessTable()) {
    if (r.route == route) return &r;
    // HTTP patterns only, as the HTTP server matches them: "GET /x/" covers "GET /x/...".
    const std::size_t space = r.route.find(' ');
    const bool prefix =
        space != std::string::npos && r.route.size() - space > 2 && r.route.back() == '/';
    if (prefix && route.size() > r.route.size() && route.compare(0, r.route.size(), r.route) == 0 &&
        (!best || r.route.size() > best->route.size()))
      best = &r;
  }
  return best;
}

bool Allows(const AccessRule& rule, Role role) {
  if (rule.is_public || role == config::v1::ADMIN) return true;
  return std::find(rule.roles.begin(), rule.roles.end(), role) != rule.roles.end();
}

std::string RoleName(Role role) {
  if (role == config::v1::ROLE_UNSPECIFIED) return "";
  std::string name = config::v1::Role_Name(role);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string AccessTableJson() {
  std::string out = "[\n";
  for (std::size_t i = 0; i < AccessTable().size(); ++i) {
    const AccessRule& r = AccessTable()[i];
    out += "  {\"route\": \"" + r.route + "\", \"public\": " + (r.is_public ? "true" : "false") +
           ", \"roles\": [";
    for (std::size_t j = 0; j < r.roles.size(); ++j)
      out += (j ? ", \"" : "\"") + RoleName(r.roles[j]) + "\"";
    out += i + 1 < AccessTable().size() ? "]},\n" : "]}\n";
  }
  return out + "]\n";
}

}  // namespace csops::auth

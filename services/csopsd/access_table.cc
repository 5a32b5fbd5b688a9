#include "services/csopsd/access_table.h"

#include "services/case/case_module.h"
#include "services/notify/notify_module.h"
#include "services/queue/queue_module.h"
#include "services/web/web_routes.h"

namespace csops::csopsd {

using auth::PublicRule;
using auth::RoleRule;

Result<auth::AccessTable> BuildAccessTable() {
  using namespace config::v1;  // roles
  auth::AccessTable table;
  for (const auto& rules :
       {queue::QueueAccessRules(), cases::CaseAccessRules(), notify::NotifyAccessRules(),
        web::WebAccessRules(),
        std::vector<auth::AccessRule>{
            RoleRule("/csops.admin.v1.AdminService/GetServerInfo", {METRICS, SUPERVISOR}),
            // gRPC's own services: health for load balancers, reflection (the API's shape).
            PublicRule("/grpc.health.v1.Health/Check"),
            PublicRule("/grpc.health.v1.Health/Watch"),
            PublicRule("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
            PublicRule("GET /healthz"),
            RoleRule("GET /metrics", {METRICS}),
        }})
    CSOPS_RETURN_IF_ERROR(table.Add(rules));
  return table;
}

}  // namespace csops::csopsd

#include "services/csopsd/admin_service.h"

#include "common/auth/grpc_access.h"
#include "common/grpc/grpc_reply.h"

namespace csops::csopsd {
namespace {

admin::v1::Target ToProto(Target t) {
  switch (t) {
    case Target::kQueue:
      return admin::v1::TARGET_QUEUE;
    case Target::kCase:
      return admin::v1::TARGET_CASE;
    case Target::kNotify:
      return admin::v1::TARGET_NOTIFY;
  }
  return admin::v1::TARGET_UNSPECIFIED;
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::GetServerInfo(grpc::CallbackServerContext* ctx,
                                                      const admin::v1::GetServerInfoRequest*,
                                                      admin::v1::GetServerInfoResponse* response) {
  if (auto who = auth::Caller(ctx); !who.ok()) return Fail(ctx, who.status());
  response->set_version(info_.version);
  for (Target t : info_.targets) {
    response->add_targets(ToProto(t));
    response->add_health_services(HealthServiceName(t));
  }
  const std::int64_t ms = ToUnixMillis(info_.started_at);
  response->mutable_started_at()->set_seconds(ms / 1000);
  response->mutable_started_at()->set_nanos(static_cast<int>(ms % 1000) * 1'000'000);
  for (const CalendarSummary& c : info_.calendars) {
    auto* out = response->add_calendars();
    out->set_name(c.name);
    out->set_time_zone(c.time_zone);
    out->set_covers_until(c.covers_until);
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace csops::csopsd

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

void SetTime(google::protobuf::Timestamp* t, std::int64_t ms) {
  t->set_seconds(ms / 1000);
  t->set_nanos(static_cast<int>(ms % 1000) * 1'000'000);
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
  SetTime(response->mutable_started_at(), ToUnixMillis(info_.started_at));
  for (const CalendarSummary& c : info_.calendars) {
    auto* out = response->add_calendars();
    out->set_name(c.name);
    out->set_time_zone(c.time_zone);
    out->set_covers_until(c.covers_until);
  }
  response->set_replica_id(info_.replica_id);
  if (info_.replicas) {
    auto all = info_.replicas();
    if (!all.ok()) {
      response->set_replicas_error(all.status().message());
    } else {
      for (const postgres::ReplicaRecord& r : *all) {
        auto* out = response->add_replicas();
        out->set_id(r.identity.id);
        out->set_host(r.identity.host);
        out->set_version(r.identity.version);
        out->set_targets(r.identity.targets);
        SetTime(out->mutable_started_at(), r.started_at_ms);
        SetTime(out->mutable_heartbeat_at(), r.heartbeat_at_ms);
        out->set_silent_seconds(r.silent_seconds);
        out->set_live(r.live);
      }
    }
  }
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace csops::csopsd

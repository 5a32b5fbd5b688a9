// gRPC adapter for csops.admin.v1.AdminService: converts the process's ServerInfo to the API.
// Stateless apart from the immutable info it was built with (whose `replicas` reads the
// database on each call).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/postgres/membership.h"
#include "csops/admin/v1/admin_service.grpc.pb.h"
#include "services/csopsd/targets.h"

namespace csops::csopsd {

struct CalendarSummary {
  std::string name;
  std::string time_zone;
  std::string covers_until;  // YYYY-MM-DD
};

struct ServerInfo {
  std::string version;
  std::vector<Target> targets;
  Instant started_at;
  std::vector<CalendarSummary> calendars;
  std::string replica_id;  // "" on SQLite
  // On PostgreSQL: reads the replicas sharing the database; null on SQLite.
  std::function<Result<std::vector<postgres::ReplicaRecord>>()> replicas;
};

class AdminService final : public admin::v1::AdminService::CallbackService {
 public:
  explicit AdminService(ServerInfo info) : info_(std::move(info)) {}

  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* ctx,
                                          const admin::v1::GetServerInfoRequest* request,
                                          admin::v1::GetServerInfoResponse* response) override;

 private:
  const ServerInfo info_;
};

}  // namespace csops::csopsd

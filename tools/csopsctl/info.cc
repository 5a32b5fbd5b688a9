// csopsctl info: version, targets, start time and calendars of the server, and on PostgreSQL
// the replicas sharing its database (one line each: live or silent, and since when).
#include <cstdio>

#include "common/base/clock.h"
#include "csops/admin/v1/admin_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

std::string Rfc3339(const google::protobuf::Timestamp& t) {
  return FormatRfc3339Utc(FromUnixMillis(t.seconds() * 1000 + t.nanos() / 1'000'000));
}

int RunInfo(const GlobalOptions& options) {
  auto stub = admin::v1::AdminService::NewStub(NewChannel(options));
  admin::v1::GetServerInfoResponse resp;
  auto ctx = NewContext(options);
  grpc::Status s = stub->GetServerInfo(ctx.get(), {}, &resp);
  if (!s.ok()) {
    std::fprintf(stderr, "csopsctl: %s\n", Describe(s).c_str());
    return 1;
  }
  std::printf("version     %s\n", resp.version().c_str());
  std::printf("started at  %s\n", Rfc3339(resp.started_at()).c_str());
  std::printf("services   ");
  for (const auto& name : resp.health_services()) std::printf(" %s", name.c_str());
  std::printf("\n");
  for (const auto& c : resp.calendars())
    std::printf("calendar    %s (%s), holidays known until %s\n", c.name().c_str(),
                c.time_zone().c_str(), c.covers_until().c_str());
  if (!resp.replica_id().empty()) std::printf("replica     %s\n", resp.replica_id().c_str());
  if (!resp.replicas_error().empty())
    std::printf("replicas    cannot be read: %s\n", resp.replicas_error().c_str());
  for (const auto& r : resp.replicas())
    std::printf(
        "replica     %-6s %s  host %s  version %s  targets %s  started %s  last heartbeat "
        "%.1f s ago%s\n",
        r.live() ? "live" : "SILENT", r.id().c_str(), r.host().c_str(), r.version().c_str(),
        r.targets().c_str(), Rfc3339(r.started_at()).c_str(), r.silent_seconds(),
        r.id() == resp.replica_id() ? "  (this one)" : "");
  return 0;
}

}  // namespace

void AddInfo(CLI::App& app, const GlobalOptions& options, Command* run) {
  app.add_subcommand("info", "version, services, start time and calendars of the server")
      ->callback([&options, run] { *run = [&options] { return RunInfo(options); }; });
}

}  // namespace csops::ctl

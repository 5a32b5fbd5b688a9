// csopsctl info: version, targets, start time and calendars of the server.
#include <cstdio>

#include "common/base/clock.h"
#include "csops/admin/v1/admin_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

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
  std::printf("started at  %s\n",
              FormatRfc3339Utc(FromUnixMillis(resp.started_at().seconds() * 1000 +
                                              resp.started_at().nanos() / 1'000'000))
                  .c_str());
  std::printf("services   ");
  for (const auto& name : resp.health_services()) std::printf(" %s", name.c_str());
  std::printf("\n");
  for (const auto& c : resp.calendars())
    std::printf("calendar    %s (%s), holidays known until %s\n", c.name().c_str(),
                c.time_zone().c_str(), c.covers_until().c_str());
  return 0;
}

}  // namespace

void AddInfo(CLI::App& app, const GlobalOptions& options, Command* run) {
  app.add_subcommand("info", "version, services, start time and calendars of the server")
      ->callback([&options, run] { *run = [&options] { return RunInfo(options); }; });
}

}  // namespace csops::ctl

// csopsctl health [SERVICE]: asks grpc.health.v1.Health. Without SERVICE it reports the whole
// server and every csops service; exit 0 only if everything asked about is SERVING (services
// this process does not run are shown as "not run here" and do not fail the check).
#include <cstdio>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

const char* const kCsopsServices[] = {"csops.queue.v1.QueueService", "csops.case.v1.CaseService",
                                      "csops.notify.v1.NotifyService"};

const char* StatusName(grpc::health::v1::HealthCheckResponse::ServingStatus s) {
  using R = grpc::health::v1::HealthCheckResponse;
  switch (s) {
    case R::SERVING:
      return "SERVING";
    case R::NOT_SERVING:
      return "NOT_SERVING";
    case R::SERVICE_UNKNOWN:
      return "SERVICE_UNKNOWN";
    default:
      return "UNKNOWN";
  }
}

// `service` empty: the server and every csops service.
int RunHealth(const GlobalOptions& options, const std::string& service_asked) {
  auto stub = grpc::health::v1::Health::NewStub(NewChannel(options));
  std::vector<std::string> services;
  const bool one = !service_asked.empty();
  if (one) {
    services.push_back(service_asked);
  } else {
    services.push_back("");
    services.insert(services.end(), std::begin(kCsopsServices), std::end(kCsopsServices));
  }
  int rc = 0;
  for (const std::string& service : services) {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    auto ctx = NewContext(options);
    grpc::Status s = stub->Check(ctx.get(), req, &resp);
    const char* label = service.empty() ? "(server)" : service.c_str();
    if (s.ok()) {
      std::printf("%-32s %s\n", label, StatusName(resp.status()));
      if (resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) rc = 1;
    } else if (s.error_code() == grpc::StatusCode::NOT_FOUND && !one) {
      std::printf("%-32s not run here\n", label);
    } else {
      std::printf("%-32s %s\n", label, Describe(s).c_str());
      rc = 1;
      if (s.error_code() == grpc::StatusCode::UNAVAILABLE ||
          s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
        break;  // the server is unreachable; asking again would only repeat it
    }
  }
  return rc;
}

}  // namespace

void AddHealth(CLI::App& app, const GlobalOptions& options, Command* run) {
  auto* health = app.add_subcommand(
      "health", "grpc.health.v1 status of the server and its services (exit 0: all SERVING)");
  auto service = std::make_shared<std::string>();
  health->add_option("SERVICE", *service, "one service, e.g. csops.queue.v1.QueueService")
      ->check(flags::NotEmpty());
  health->callback([&options, run, service] {
    *run = [&options, service] { return RunHealth(options, *service); };
  });
}

}  // namespace csops::ctl

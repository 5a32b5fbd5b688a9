// Fetches the services' report APIs for one period: GetQueueReport, GetSlaReport and
// GetNotifyReport. The report never reads Prometheus or the databases; these answers are its
// only source of numbers.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>

#include "common/auth/client_auth.h"
#include "common/base/status.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "csops/notify/v1/notify_service.grpc.pb.h"
#include "csops/queue/v1/queue_service.grpc.pb.h"
#include "tools/report/period.h"

namespace csops::report {

struct Slice {
  Period period;
  csops::queue::v1::GetQueueReportResponse queue;
  csops::case_::v1::GetSlaReportResponse cases;
  csops::notify::v1::GetNotifyReportResponse notify;
};

struct Targets {
  std::string queue, cases, notify;  // host:port of each service (the same for --target=all)
  auth::ClientAuth auth;             // key (a SUPERVISOR's) and TLS, from the environment
};

class ReportClient {
 public:
  // `branch` filters queue and case figures (empty: every branch); notices have no branch.
  ReportClient(const Targets& targets, std::string branch, std::chrono::seconds deadline);
  // Fills out->queue, cases and notify for out->period. An RPC error names the service and
  // the address it was asked at.
  Status Fetch(Slice* out);

 private:
  template <typename Request, typename Response, typename Rpc>
  Status Call(const Period& period, Rpc rpc, Request req, Response* resp, const std::string& name,
              const std::string& target);

  std::unique_ptr<csops::queue::v1::QueueService::Stub> queue_;
  std::unique_ptr<csops::case_::v1::CaseService::Stub> cases_;
  std::unique_ptr<csops::notify::v1::NotifyService::Stub> notify_;
  Targets targets_;
  std::string branch_;
  std::chrono::seconds deadline_;
};

}  // namespace csops::report

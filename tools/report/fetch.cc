#include "tools/report/fetch.h"

#include "common/grpc/proto_time.h"

namespace csops::report {
namespace {

Status Check(const grpc::Status& s, const std::string& rpc, const std::string& addr) {
  if (s.ok()) return Status();
  std::string hint;
  if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED)
    hint = " (is that service running there? see --queue-target, --case-target, --notify-target)";
  if (s.error_code() == grpc::StatusCode::UNAVAILABLE) hint = " (is csopsd running there?)";
  return Status::Unavailable(rpc + " at " + addr + ": " + s.error_message() + hint);
}

}  // namespace

ReportClient::ReportClient(const Targets& targets, std::string branch,
                           std::chrono::seconds deadline)
    : queue_(csops::queue::v1::QueueService::NewStub(targets.auth.Connect(targets.queue))),
      cases_(csops::case_::v1::CaseService::NewStub(targets.auth.Connect(targets.cases))),
      notify_(csops::notify::v1::NotifyService::NewStub(targets.auth.Connect(targets.notify))),
      targets_(targets),
      branch_(std::move(branch)),
      deadline_(deadline) {}

// One report RPC for `period`: its request carries from, to and (if it has one) the branch.
template <typename Request, typename Response, typename Rpc>
Status ReportClient::Call(const Period& period, Rpc rpc, Request req, Response* resp,
                          const std::string& name, const std::string& target) {
  ToProtoTimestamp(period.from, req.mutable_from());
  ToProtoTimestamp(period.to, req.mutable_to());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  targets_.auth.Apply(&ctx);
  return Check(rpc(&ctx, req, resp), name, target);
}

Status ReportClient::Fetch(Slice* out) {
  csops::queue::v1::GetQueueReportRequest queue_req;
  queue_req.set_branch_id(branch_);
  CSOPS_RETURN_IF_ERROR(Call(
      out->period,
      [this](grpc::ClientContext* c, const auto& r, auto* o) {
        return queue_->GetQueueReport(c, r, o);
      },
      queue_req, &out->queue, "GetQueueReport", targets_.queue));
  csops::case_::v1::GetSlaReportRequest case_req;
  case_req.set_branch_id(branch_);
  CSOPS_RETURN_IF_ERROR(Call(
      out->period,
      [this](grpc::ClientContext* c, const auto& r, auto* o) {
        return cases_->GetSlaReport(c, r, o);
      },
      case_req, &out->cases, "GetSlaReport", targets_.cases));
  return Call(
      out->period,
      [this](grpc::ClientContext* c, const auto& r, auto* o) {
        return notify_->GetNotifyReport(c, r, o);
      },
      csops::notify::v1::GetNotifyReportRequest(), &out->notify, "GetNotifyReport",
      targets_.notify);
}

}  // namespace csops::report

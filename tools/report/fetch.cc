#include "tools/report/fetch.h"

#include "common/proto_time.h"

namespace csops::report {
namespace {

std::shared_ptr<grpc::Channel> Channel(const std::string& addr) {
  return grpc::CreateChannel(addr, grpc::InsecureChannelCredentials());
}

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
    : queue_(csops::queue::v1::QueueService::NewStub(Channel(targets.queue))),
      cases_(csops::case_::v1::CaseService::NewStub(Channel(targets.cases))),
      notify_(csops::notify::v1::NotifyService::NewStub(Channel(targets.notify))),
      targets_(targets),
      branch_(std::move(branch)),
      deadline_(deadline) {}

Status ReportClient::Fetch(Slice* out) {
  auto deadline = [this](grpc::ClientContext& ctx) {
    ctx.set_deadline(std::chrono::system_clock::now() + deadline_);
  };
  {
    csops::queue::v1::GetQueueReportRequest req;
    ToProtoTimestamp(out->period.from, req.mutable_from());
    ToProtoTimestamp(out->period.to, req.mutable_to());
    req.set_branch_id(branch_);
    grpc::ClientContext ctx;
    deadline(ctx);
    CSOPS_RETURN_IF_ERROR(
        Check(queue_->GetQueueReport(&ctx, req, &out->queue), "GetQueueReport", targets_.queue));
  }
  {
    csops::case_::v1::GetSlaReportRequest req;
    ToProtoTimestamp(out->period.from, req.mutable_from());
    ToProtoTimestamp(out->period.to, req.mutable_to());
    req.set_branch_id(branch_);
    grpc::ClientContext ctx;
    deadline(ctx);
    CSOPS_RETURN_IF_ERROR(
        Check(cases_->GetSlaReport(&ctx, req, &out->cases), "GetSlaReport", targets_.cases));
  }
  {
    csops::notify::v1::GetNotifyReportRequest req;
    ToProtoTimestamp(out->period.from, req.mutable_from());
    ToProtoTimestamp(out->period.to, req.mutable_to());
    grpc::ClientContext ctx;
    deadline(ctx);
    CSOPS_RETURN_IF_ERROR(Check(notify_->GetNotifyReport(&ctx, req, &out->notify),
                                "GetNotifyReport", targets_.notify));
  }
  return Status();
}

}  // namespace csops::report

#include "services/notify/api/task_relay.h"

#include <grpcpp/grpcpp.h>

#include "common/base/log.h"

namespace csops::notify {

namespace cpb = csops::case_::v1;

TaskRelay::TaskRelay(NotifyEngine& engine, auth::ServiceTarget case_target)
    : engine_(engine), target_(std::move(case_target)) {}

void TaskRelay::Start() {
  stub_ = cpb::CaseService::NewStub(target_.auth.Connect(target_.address));
  loop_.Start();
}

void TaskRelay::Stop() { loop_.Stop(); }

void TaskRelay::Wake() { loop_.Wake(); }

bool TaskRelay::RelayPending() {
  for (;;) {
    auto tasks = engine_.PendingTasks(50);
    if (!tasks.ok()) return false;
    if (tasks->empty()) return true;
    for (const TaskRecord& t : *tasks) {
      if (loop_.stopping()) return true;
      cpb::CreateCaseRequest req;
      req.set_type_code(t.case_type);
      req.set_branch_id(t.branch_id);
      req.mutable_applicant()->set_name(t.name);
      req.mutable_applicant()->set_customer_number(t.customer_number);
      req.set_received_via(cpb::RECEIVED_VIA_PHONE);
      req.set_summary(t.summary);
      req.set_staff_id("NOTIFY");
      req.set_idempotency_key(t.idempotency_key);
      grpc::ClientContext ctx;
      target_.auth.Apply(&ctx);
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      cpb::CreateCaseResponse resp;
      const grpc::Status s = stub_->CreateCase(&ctx, req, &resp);
      std::string refusal;
      if (s.ok()) {
        CSOPS_LOG(kInfo, "plan_task_created")
            .Kv("type", t.case_type)
            .Kv("case", resp.case_().acceptance_number());
      } else if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                 s.error_code() == grpc::StatusCode::NOT_FOUND ||
                 s.error_code() == grpc::StatusCode::FAILED_PRECONDITION ||
                 s.error_code() == grpc::StatusCode::ALREADY_EXISTS) {
        refusal = s.error_message();
        CSOPS_LOG(kWarning, "plan_task_refused").Kv("type", t.case_type).Kv("reason", refusal);
      } else {
        CSOPS_LOG(kWarning, "plan_task_relay_unavailable").Kv("error", s.error_message());
        return false;
      }
      if (!engine_.MarkTaskRelayed(t.id, refusal.substr(0, 500)).ok()) return false;
    }
  }
}

}  // namespace csops::notify

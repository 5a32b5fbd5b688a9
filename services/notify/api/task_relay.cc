#include "services/notify/api/task_relay.h"

#include "common/base/log.h"

namespace csops::notify {

namespace cpb = csops::case_::v1;

Result<std::vector<outbox::RelayItem<cpb::CreateCaseRequest>>> TaskSource::Pending(int limit) {
  auto tasks = engine_.PendingTasks(limit);
  if (!tasks.ok()) return tasks.status();
  std::vector<outbox::RelayItem<cpb::CreateCaseRequest>> out;
  for (const TaskRecord& t : *tasks) {
    outbox::RelayItem<cpb::CreateCaseRequest> item;
    item.id = t.id;
    item.kind = t.case_type;
    cpb::CreateCaseRequest& req = item.request;
    req.set_type_code(t.case_type);
    req.set_branch_id(t.branch_id);
    req.mutable_applicant()->set_name(t.name);
    req.mutable_applicant()->set_customer_number(t.customer_number);
    req.set_received_via(cpb::RECEIVED_VIA_PHONE);
    req.set_summary(t.summary);
    req.set_staff_id("NOTIFY");
    req.set_idempotency_key(t.idempotency_key);
    out.push_back(std::move(item));
  }
  return out;
}

Status TaskSource::MarkRelayed(std::int64_t id, const std::string& refusal) {
  return engine_.MarkTaskRelayed(id, refusal);
}

outbox::RowCall<cpb::CreateCaseRequest> CreateCaseCall(std::shared_ptr<grpc::Channel> channel) {
  std::shared_ptr<cpb::CaseService::Stub> stub = cpb::CaseService::NewStub(channel);
  return [stub](grpc::ClientContext& ctx, const cpb::CreateCaseRequest& req) {
    cpb::CreateCaseResponse resp;
    outbox::CallAnswer a;
    a.status = stub->CreateCase(&ctx, req, &resp);
    if (a.status.ok())
      CSOPS_LOG(kInfo, "plan_task_created")
          .Kv("type", req.type_code())
          .Kv("case", resp.case_().acceptance_number());
    return a;
  };
}

TaskRelay::TaskRelay(NotifyEngine& engine, const auth::ServiceTarget& case_target,
                     prometheus::Registry& registry)
    : source_(engine),
      relay_("notify", source_, case_target,
             CreateCaseCall(case_target.auth.Connect(case_target.address)), registry) {}

}  // namespace csops::notify

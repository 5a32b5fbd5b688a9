// Hands the staff tasks of escalation plans (a phone call, a home visit) to the case service as
// cases, through the one outbox relay (common/outbox/outbox_relay.h, which holds the contract:
// marked relayed only after CreateCase answered, retried with back-off while the case service is
// unreachable, a refusal such as an unconfigured case type recorded and logged). Each task is a
// CreateCase with the task's idempotency key, so a resend after a crash returns the same case.
// Metrics: csops_outbox_relayed_total{source="notify"}.
#pragma once

#include <memory>

#include "common/auth/client_auth.h"
#include "common/outbox/outbox_relay.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {

// notify.db's plan_tasks as an outbox.
class TaskSource final : public outbox::OutboxSource<case_::v1::CreateCaseRequest> {
 public:
  explicit TaskSource(NotifyEngine& engine) : engine_(engine) {}
  Result<std::vector<outbox::RelayItem<case_::v1::CreateCaseRequest>>> Pending(int limit) override;
  Status MarkRelayed(std::int64_t id, const std::string& refusal) override;

 private:
  NotifyEngine& engine_;
};

// CreateCase on `channel`; logs the new case's number.
outbox::RowCall<case_::v1::CreateCaseRequest> CreateCaseCall(
    std::shared_ptr<grpc::Channel> channel);

class TaskRelay {
 public:
  TaskRelay(NotifyEngine& engine, const auth::ServiceTarget& case_target,
            prometheus::Registry& registry);
  void Start() { relay_.Start(); }
  void Stop() { relay_.Stop(); }
  void Wake() { relay_.Wake(); }

 private:
  TaskSource source_;
  outbox::OutboxRelay<case_::v1::CreateCaseRequest> relay_;
};

}  // namespace csops::notify

// Hands the staff tasks of escalation plans (a phone call, a home visit) to the case service as
// cases (CreateCase with the task's idempotency key, so a resend after a crash returns the same
// case). Same contract as OutboxRelay: marked relayed only after CreateCase answered; retried
// with back-off while the case service is unreachable; a refusal (e.g. the case type is not
// configured) is recorded and logged.
#pragma once

#include <memory>

#include "common/auth/client_auth.h"
#include "common/base/wake_loop.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {

class TaskRelay {
 public:
  TaskRelay(NotifyEngine& engine, auth::ServiceTarget case_target);
  ~TaskRelay() { Stop(); }
  void Start();
  void Stop();
  void Wake();

 private:
  bool RelayPending();
  NotifyEngine& engine_;
  const auth::ServiceTarget target_;
  std::unique_ptr<csops::case_::v1::CaseService::Stub> stub_;
  WakeLoop loop_{[this] { return RelayPending(); }};
};

}  // namespace csops::notify

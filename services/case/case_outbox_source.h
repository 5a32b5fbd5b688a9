// The case service's outbox as seen by the notify relay: each row becomes a Send to the
// applicant (case_accepted, case_delayed, case_completed) on the channel the case chose, or an
// sla_alert e-mail to the branch's supervisors (sla_breach, sla_chase). The idempotency key is
// "case:<acceptance number>:<row id>", so a resend after a crash is a duplicate at notify.
#pragma once

#include <map>
#include <string>

#include "common/clock.h"
#include "services/case/case_store.h"
#include "services/notify/relay/outbox_relay.h"

namespace csops::cases {

class CaseOutboxSource final : public notify::OutboxSource {
 public:
  // `supervisor_emails`: branch id -> address for SLA alerts.
  CaseOutboxSource(CaseStore& store, const Clock& clock,
                   std::map<std::string, std::string> supervisor_emails)
      : store_(store), clock_(clock), supervisor_emails_(std::move(supervisor_emails)) {}
  Result<std::vector<notify::RelayItem>> Pending(int limit) override;
  Status MarkRelayed(std::int64_t id, const std::string& refusal) override;

  // The Send request for one row (exposed for tests).
  notify::RelayItem ToItem(const PendingOutboxRow& row) const;

 private:
  CaseStore& store_;
  const Clock& clock_;
  const std::map<std::string, std::string> supervisor_emails_;
};

}  // namespace csops::cases

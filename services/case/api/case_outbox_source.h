// The case service's outbox as seen by its relay to notify (common/outbox/outbox_relay.h): each row
// becomes a Send to the applicant (case_accepted, case_delayed, case_completed) on the channel the
// case chose, or an sla_alert e-mail to the branch's supervisors (sla_breach, sla_chase). The
// idempotency key is "case:<acceptance number>:<row id>", so a resend after a crash is a duplicate
// at notify. The acceptance notice's lookup_url variable is made here, at relay time, from the code
// derived again (rows written before schema 6 carry their own until they are relayed).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "common/base/clock.h"
#include "common/outbox/notify_send.h"
#include "services/case/store/case_store.h"

namespace csops::cases {

class CaseOutboxSource final : public outbox::NoticeSource {
 public:
  // The look-up link of an "accepted" row's case (the row itself keeps no code).
  using LookupLink = std::function<std::string(const PendingOutboxRow&)>;
  // `supervisor_emails`: branch id -> address for SLA alerts.
  CaseOutboxSource(CaseStore& store, const Clock& clock,
                   std::map<std::string, std::string> supervisor_emails,
                   LookupLink lookup_link = nullptr)
      : store_(store),
        clock_(clock),
        supervisor_emails_(std::move(supervisor_emails)),
        lookup_link_(std::move(lookup_link)) {}
  Result<std::vector<outbox::NoticeItem>> Pending(int limit) override;
  Status MarkRelayed(std::int64_t id, const std::string& refusal) override;

  // The Send request for one row (exposed for tests).
  outbox::NoticeItem ToItem(const PendingOutboxRow& row) const;

 private:
  CaseStore& store_;
  const Clock& clock_;
  const std::map<std::string, std::string> supervisor_emails_;
  const LookupLink lookup_link_;
};

}  // namespace csops::cases

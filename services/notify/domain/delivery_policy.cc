#include "services/notify/domain/delivery_policy.h"

#include "services/notify/domain/timing.h"

namespace csops::notify {

std::string_view OutcomeName(OutcomeKind k) {
  switch (k) {
    case OutcomeKind::kOk:
      return "ok";
    case OutcomeKind::kTransient:
      return "transient";
    case OutcomeKind::kPermanent:
      return "permanent";
  }
  return "unknown";
}

AfterAttempt ApplyOutcome(DeliveryRecord& d, const SendOutcome& outcome,
                          const std::string& provider, Instant now, Instant accepted_at,
                          const NotifyConfig& config, double jitter,
                          const std::function<Instant(Instant)>& quiet_until) {
  AfterAttempt after;
  d.attempts += 1;
  d.provider = provider;
  switch (outcome.kind) {
    case OutcomeKind::kOk:
      d.status = DeliveryStatus::kSent;
      d.provider_message_id = outcome.provider_message_id;
      d.sent_at = now;
      d.last_error.clear();
      after.sent = true;
      return after;
    case OutcomeKind::kTransient: {
      d.last_error = outcome.error;
      const Instant next =
          quiet_until(now + Backoff(d.attempts, config.retry_base, config.retry_max, jitter));
      if (d.attempts >= config.max_attempts || next - accepted_at > config.ttl) {
        d.status = DeliveryStatus::kFailed;
        d.last_error =
            "gave up after " + std::to_string(d.attempts) + " attempts: " + outcome.error;
        after.failed_for_good = true;
      } else {
        d.status = DeliveryStatus::kPending;
        d.next_attempt_at = next;
      }
      return after;
    }
    case OutcomeKind::kPermanent:
      d.status = DeliveryStatus::kFailed;
      d.last_error = outcome.error;
      after.failed_for_good = true;
      return after;
  }
  return after;
}

}  // namespace csops::notify

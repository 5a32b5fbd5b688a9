// What happens to a delivery after an attempt: the retry/fallback state machine. Pure.
//
//   ok         -> sent; the rest of a fallback chain is cancelled.
//   transient  -> pending again after back-off (and quiet hours), until max_attempts or the TTL
//                 since acceptance; then failed.
//   permanent  -> failed at once.
//   failed     -> the next waiting delivery of a fallback chain becomes pending.
#pragma once

#include <functional>
#include <string>

#include "services/notify/domain/outgoing.h"
#include "services/notify/domain/records.h"

namespace csops::notify {

struct AfterAttempt {
  bool failed_for_good = false;  // activate the next link of a fallback chain
  bool sent = false;             // cancel the rest of a fallback chain
};

// Updates `d` (status, attempts, next_attempt_at, errors, provider ids) for `outcome` of an
// attempt at `now`. `jitter` in [0, 1) spreads the back-off; `quiet_until` maps an instant to
// the first allowed one (quiet hours; identity for urgent notices).
AfterAttempt ApplyOutcome(DeliveryRecord& d, const SendOutcome& outcome,
                          const std::string& provider, Instant now, Instant accepted_at,
                          const NotifyConfig& config, double jitter,
                          const std::function<Instant(Instant)>& quiet_until);

}  // namespace csops::notify

// The part of QueueTx::ExpireBefore every store shares: given the stale tickets it found,
// marks each expired at `now` (keeping the waiting counts right through SaveTicket) with a
// "business day ended" event, and counts them per service code.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "services/queue/store/queue_store.h"

namespace csops::queue {

inline Result<std::vector<std::pair<std::string, int>>> ExpireTickets(
    QueueTx& tx, const std::vector<TicketRecord>& stale, Instant now) {
  std::map<std::string, int> per_service;
  for (const TicketRecord& before : stale) {
    TicketRecord after = before;
    after.state = TicketState::kExpired;
    after.finished_at = now;
    CSOPS_RETURN_IF_ERROR(tx.SaveTicket(before, after));
    CSOPS_RETURN_IF_ERROR(
        tx.AppendEvent({before.id, now, "system", before.state, TicketState::kExpired,
                        before.counter_id, before.service_code, "business day ended"}));
    ++per_service[before.service_code];
  }
  return std::vector<std::pair<std::string, int>>(per_service.begin(), per_service.end());
}

}  // namespace csops::queue

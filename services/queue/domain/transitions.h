// Which counter actions a ticket's state allows. Each check returns FAILED_PRECONDITION naming
// the ticket, its current state and what the action needs, e.g.
//   "ticket A023 is 'waiting'; only a 'serving' ticket can be completed".
#pragma once

#include "common/base/status.h"
#include "services/queue/domain/types.h"

namespace csops::queue {

enum class Action { kRecall, kStartServing, kComplete, kNoShow, kCancel, kRequeue, kTransfer };

// `counter_id` is the acting counter ("" for self-service). Actions on a called or serving
// ticket must come from the counter that holds it.
Status CheckAction(Action action, const TicketRecord& ticket, const std::string& counter_id);

}  // namespace csops::queue

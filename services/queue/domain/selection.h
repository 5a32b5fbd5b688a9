// Which waiting ticket a counter calls next. Pure and deterministic.
//
// Order of precedence:
//  1. Tickets transferred into one of the counter's services (they already waited once), in
//     the order they were transferred; a ticket reserved for another counter is never offered.
//  2. Priority and accessible tickets, unless `priority_streak` has reached `priority_ratio`
//     and a normal ticket is waiting: then one normal ticket goes first (so with ratio 2 the
//     pattern is P, P, N, P, P, N ... while both kinds wait).
//  3. Within the chosen class, by policy: STRICT_ORDER takes the head of the first service in
//     the counter's order that has one; OLDEST_FIRST takes the longest-waiting head.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "services/queue/domain/types.h"

namespace csops::queue {

enum class QueueClass { kTransferred = 0, kPriority = 1, kNormal = 2 };

// The oldest waiting ticket of one (service, class) line.
struct Candidate {
  std::int64_t ticket_id = 0;
  std::string service_code;
  QueueClass cls = QueueClass::kNormal;
  Instant queued_at;
};

struct Selection {
  Candidate chosen;
  int new_priority_streak = 0;  // store it on the counter
};

// REQUIRES: every candidate's service is in `service_order`.
std::optional<Selection> SelectNext(const std::vector<Candidate>& heads,
                                    const std::vector<std::string>& service_order,
                                    SelectionPolicy policy, int priority_ratio,
                                    int priority_streak);

QueueClass ClassOf(const TicketRecord& t);

}  // namespace csops::queue

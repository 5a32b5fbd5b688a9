#include "services/queue/domain/selection.h"

#include <algorithm>

namespace csops::queue {

QueueClass ClassOf(const TicketRecord& t) {
  if (t.transferred) return QueueClass::kTransferred;
  return t.priority == PriorityClass::kNormal ? QueueClass::kNormal : QueueClass::kPriority;
}

namespace {

std::optional<Candidate> PickByPolicy(const std::vector<Candidate>& heads, QueueClass cls,
                                      const std::vector<std::string>& order,
                                      SelectionPolicy policy) {
  std::optional<Candidate> best;
  auto rank = [&](const std::string& code) {
    return std::find(order.begin(), order.end(), code) - order.begin();
  };
  for (const Candidate& c : heads) {
    if (c.cls != cls) continue;
    if (!best) {
      best = c;
      continue;
    }
    bool better;
    if (cls == QueueClass::kTransferred || policy == SelectionPolicy::kOldestFirst) {
      better = c.queued_at < best->queued_at ||
               (c.queued_at == best->queued_at && rank(c.service_code) < rank(best->service_code));
    } else {
      better = rank(c.service_code) < rank(best->service_code);
    }
    if (better) best = c;
  }
  return best;
}

}  // namespace

std::optional<Selection> SelectNext(const std::vector<Candidate>& heads,
                                    const std::vector<std::string>& service_order,
                                    SelectionPolicy policy, int priority_ratio,
                                    int priority_streak) {
  if (auto t = PickByPolicy(heads, QueueClass::kTransferred, service_order, policy))
    return Selection{*t, priority_streak};
  auto priority = PickByPolicy(heads, QueueClass::kPriority, service_order, policy);
  auto normal = PickByPolicy(heads, QueueClass::kNormal, service_order, policy);
  if (priority && (!normal || priority_streak < priority_ratio))
    return Selection{*priority, priority_streak + 1};
  if (normal) return Selection{*normal, 0};
  return std::nullopt;
}

}  // namespace csops::queue

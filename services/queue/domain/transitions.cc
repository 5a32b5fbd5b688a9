#include "services/queue/domain/transitions.h"

#include <initializer_list>

namespace csops::queue {
namespace {

Status Need(const TicketRecord& t, std::initializer_list<TicketState> allowed, const char* what) {
  for (TicketState s : allowed)
    if (t.state == s) return Status();
  std::string names;
  for (TicketState s : allowed) {
    if (!names.empty()) names += " or ";
    names += "'" + std::string(StateName(s)) + "'";
  }
  return Status::FailedPrecondition("ticket " + t.display + " is '" +
                                    std::string(StateName(t.state)) + "'; only a " + names +
                                    " ticket can be " + what);
}

Status HeldBy(const TicketRecord& t, const std::string& counter_id) {
  if ((t.state == TicketState::kCalled || t.state == TicketState::kServing) &&
      t.counter_id != counter_id)
    return Status::FailedPrecondition(
        "ticket " + t.display + " is held by counter " + t.counter_id + ", not " +
        (counter_id.empty() ? std::string("self-service") : counter_id));
  return Status();
}

}  // namespace

Status CheckAction(Action action, const TicketRecord& t, const std::string& counter_id) {
  using S = TicketState;
  switch (action) {
    case Action::kRecall:
      CSOPS_RETURN_IF_ERROR(Need(t, {S::kCalled}, "recalled"));
      return HeldBy(t, counter_id);
    case Action::kStartServing:
      CSOPS_RETURN_IF_ERROR(Need(t, {S::kCalled}, "started"));
      return HeldBy(t, counter_id);
    case Action::kComplete:
      CSOPS_RETURN_IF_ERROR(Need(t, {S::kServing}, "completed"));
      return HeldBy(t, counter_id);
    case Action::kNoShow:
      CSOPS_RETURN_IF_ERROR(Need(t, {S::kCalled}, "marked no-show"));
      return HeldBy(t, counter_id);
    case Action::kCancel:
      CSOPS_RETURN_IF_ERROR(Need(t, {S::kWaiting, S::kCalled}, "cancelled"));
      // A customer may cancel a called ticket too (they leave); a counter only its own.
      if (!counter_id.empty()) return HeldBy(t, counter_id);
      return Status();
    case Action::kRequeue:
      return Need(t, {S::kNoShow}, "requeued");
    case Action::kTransfer:
      CSOPS_RETURN_IF_ERROR(Need(t, {S::kWaiting, S::kCalled, S::kServing}, "transferred"));
      return HeldBy(t, counter_id);
  }
  return Status::Internal("unknown action");
}

}  // namespace csops::queue

#include "services/case/domain/case_model.h"

#include <algorithm>

namespace csops::cases {

std::string_view StatusName(CaseStatus s) {
  switch (s) {
    case CaseStatus::kAccepted:
      return "accepted";
    case CaseStatus::kInProgress:
      return "in_progress";
    case CaseStatus::kWaitingCustomer:
      return "waiting_customer";
    case CaseStatus::kCompleted:
      return "completed";
    case CaseStatus::kRejected:
      return "rejected";
    case CaseStatus::kWithdrawn:
      return "withdrawn";
  }
  return "unknown";
}

std::optional<CaseStatus> ParseStatus(std::string_view name) {
  for (CaseStatus s : {CaseStatus::kAccepted, CaseStatus::kInProgress, CaseStatus::kWaitingCustomer,
                       CaseStatus::kCompleted, CaseStatus::kRejected, CaseStatus::kWithdrawn})
    if (StatusName(s) == name) return s;
  return std::nullopt;
}

bool IsClosed(CaseStatus s) {
  return s == CaseStatus::kCompleted || s == CaseStatus::kRejected || s == CaseStatus::kWithdrawn;
}

std::string_view PublicStatusText(CaseStatus s, bool en) {
  switch (s) {
    case CaseStatus::kAccepted:
      return en ? "Accepted" : "已受理";
    case CaseStatus::kInProgress:
      return en ? "In progress" : "處理中";
    case CaseStatus::kWaitingCustomer:
      return en ? "Waiting for your documents" : "待補件";
    case CaseStatus::kCompleted:
      return en ? "Completed" : "已完成";
    case CaseStatus::kRejected:
      return en ? "Not approved" : "未核准";
    case CaseStatus::kWithdrawn:
      return en ? "Withdrawn" : "已撤回";
  }
  return "";
}

Status CheckTransition(CaseStatus from, CaseStatus to) {
  const bool ok = !IsClosed(from) && from != to &&
                  !(from != CaseStatus::kAccepted && to == CaseStatus::kAccepted);
  if (ok) return Status();
  return Status::FailedPrecondition("case is '" + std::string(StatusName(from)) +
                                    "'; it cannot move to '" + std::string(StatusName(to)) + "'" +
                                    (IsClosed(from) ? " (reopen it first)" : ""));
}

}  // namespace csops::cases

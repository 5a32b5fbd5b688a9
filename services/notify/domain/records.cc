#include "services/notify/domain/records.h"

namespace csops::notify {

std::string_view DeliveryStatusName(DeliveryStatus s) {
  switch (s) {
    case DeliveryStatus::kPending:
      return "pending";
    case DeliveryStatus::kSent:
      return "sent";
    case DeliveryStatus::kDelivered:
      return "delivered";
    case DeliveryStatus::kFailed:
      return "failed";
    case DeliveryStatus::kCancelled:
      return "cancelled";
    case DeliveryStatus::kWaiting:
      return "waiting";
  }
  return "unknown";
}

std::optional<DeliveryStatus> ParseDeliveryStatus(std::string_view s) {
  for (DeliveryStatus d :
       {DeliveryStatus::kPending, DeliveryStatus::kSent, DeliveryStatus::kDelivered,
        DeliveryStatus::kFailed, DeliveryStatus::kCancelled, DeliveryStatus::kWaiting})
    if (DeliveryStatusName(d) == s) return d;
  return std::nullopt;
}

std::string_view PlanRunStatusName(PlanRunStatus s) {
  switch (s) {
    case PlanRunStatus::kRunning:
      return "running";
    case PlanRunStatus::kStopped:
      return "stopped";
    case PlanRunStatus::kFinished:
      return "finished";
  }
  return "unknown";
}

std::optional<PlanRunStatus> ParsePlanRunStatus(std::string_view s) {
  for (PlanRunStatus r :
       {PlanRunStatus::kRunning, PlanRunStatus::kStopped, PlanRunStatus::kFinished})
    if (PlanRunStatusName(r) == s) return r;
  return std::nullopt;
}

std::string_view PlanStepStatusName(PlanStepStatus s) {
  switch (s) {
    case PlanStepStatus::kPending:
      return "pending";
    case PlanStepStatus::kDone:
      return "done";
    case PlanStepStatus::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

std::optional<PlanStepStatus> ParsePlanStepStatus(std::string_view s) {
  for (PlanStepStatus st :
       {PlanStepStatus::kPending, PlanStepStatus::kDone, PlanStepStatus::kCancelled})
    if (PlanStepStatusName(st) == s) return st;
  return std::nullopt;
}

}  // namespace csops::notify

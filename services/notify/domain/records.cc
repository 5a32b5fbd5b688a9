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

}  // namespace csops::notify

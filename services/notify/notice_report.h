// Notice statistics for the self-assessment report: pure aggregation over NoticeRows (deliveries
// of the notifications accepted in a period; notify_store.h).
//
// Contract, per channel (so that the report agrees with the metrics over the same notices):
// * deliveries: every delivery of those notifications (a fallback chain has one per channel);
// * taken: a provider accepted it (sent_at set) ~
// csops_notify_delivery_seconds_count{stage="sent"};
// * delivered: a receipt confirmed it ~ csops_notify_delivered_total;
// * failed: given up for good (refused, retries exhausted, or a failure receipt)
//   ~ csops_notify_failed_total;
// * reached share: (sent or delivered) / (sent, delivered or failed); channels without receipts
//   (e-mail, postcard) count a provider's acceptance as reached;
// * latency: acceptance to the provider taking it, nearest-rank median and p95.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "services/notify/domain/notify_model.h"
#include "services/notify/store/notify_store.h"

namespace csops::notify {

struct ChannelNotices {
  Channel channel = Channel::kEmail;
  std::int64_t deliveries = 0, taken = 0, delivered = 0, failed = 0, cancelled = 0, in_progress = 0;
  std::int64_t reached = 0;  // status sent or delivered
  Duration median_latency{0}, p95_latency{0};
  double ReachedShare() const;
};

struct NoticeReport {
  std::int64_t notifications = 0;
  std::map<std::string, std::int64_t> by_kind;  // notifications per kind
  std::vector<ChannelNotices> channels;         // every channel, in enum order
};

NoticeReport BuildNoticeReport(const std::vector<NoticeRow>& rows);

}  // namespace csops::notify

#include "services/notify/notice_report.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace csops::notify {
namespace {

Duration Rank(const std::vector<std::int64_t>& sorted, double p) {
  if (sorted.empty()) return Duration(0);
  auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return Duration(sorted[std::max<std::size_t>(k, 1) - 1]);
}

constexpr Channel kChannels[] = {Channel::kEmail, Channel::kSms, Channel::kVoice, Channel::kAppPush,
                                 Channel::kPostcard};

}  // namespace

double ChannelNotices::ReachedShare() const {
  const std::int64_t ended = reached + failed;
  return ended ? static_cast<double>(reached) / static_cast<double>(ended) : 0;
}

NoticeReport BuildNoticeReport(const std::vector<NoticeRow>& rows) {
  NoticeReport out;
  std::map<Channel, ChannelNotices> by_channel;
  std::map<Channel, std::vector<std::int64_t>> latencies;
  for (Channel c : kChannels) by_channel[c].channel = c;
  std::set<std::pair<std::int64_t, Instant>> seen;  // ids of purged rows may come again
  for (const NoticeRow& r : rows) {
    if (seen.insert({r.notification_id, r.accepted_at}).second) {
      ++out.notifications;
      ++out.by_kind[r.kind];
    }
    ChannelNotices& c = by_channel[r.channel];
    ++c.deliveries;
    if (r.sent_at) {
      ++c.taken;
      latencies[r.channel].push_back((*r.sent_at - r.accepted_at).count());
    }
    switch (r.status) {
      case DeliveryStatus::kSent:
        ++c.reached;
        break;
      case DeliveryStatus::kDelivered:
        ++c.reached;
        ++c.delivered;
        break;
      case DeliveryStatus::kFailed:
        ++c.failed;
        break;
      case DeliveryStatus::kCancelled:
        ++c.cancelled;
        break;
      case DeliveryStatus::kPending:
      case DeliveryStatus::kWaiting:
        ++c.in_progress;
        break;
    }
  }
  for (auto& [channel, c] : by_channel) {
    auto& v = latencies[channel];
    std::sort(v.begin(), v.end());
    c.median_latency = Rank(v, 0.5);
    c.p95_latency = Rank(v, 0.95);
    out.channels.push_back(c);
  }
  return out;
}

}  // namespace csops::notify

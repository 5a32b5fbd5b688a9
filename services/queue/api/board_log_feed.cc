#include "services/queue/api/board_log_feed.h"

#include "common/base/log.h"
#include "common/grpc/proto_time.h"
#include "services/queue/api/queue_convert.h"

namespace csops::queue {

BoardLogFeed::BoardLogFeed(BoardLog& log, BoardHub& hub, const Clock& clock, Options options,
                           BoardFeedObserver* observer)
    : log_(log), hub_(hub), clock_(clock), options_(options), observer_(observer) {}

BoardLogFeed::~BoardLogFeed() { Stop(); }

void BoardLogFeed::Start() {
  hub_.SetSequenceSource([this](const std::string& branch) -> Result<std::int64_t> {
    auto heads = log_.Heads();
    if (!heads.ok()) return heads.status();
    auto it = heads->find(branch);
    return it == heads->end() ? std::int64_t{0} : it->second;
  });
  next_prune_ = clock_.Now();  // prune once at start, then every prune_every
  ReadOnce();                  // the heads, so the first watchers start at today's numbers
  reader_ = std::thread([this] { ReaderLoop(); });
}

void BoardLogFeed::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (reader_.joinable()) reader_.join();
  hub_.SetSequenceSource(nullptr);
}

void BoardLogFeed::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void BoardLogFeed::OnCommitted(const std::vector<QueueChange>& changes) {
  // The engine's changes of one commit are one branch's; group them anyway, in order.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_branch;
  for (const QueueChange& c : changes) {
    if (c.kind == ChangeKind::kExpired) continue;  // boards see the DAY_RESET that follows
    auto event = ToBoardEvent(c);
    if (!event) continue;
    if (by_branch.empty() || by_branch.back().first != c.branch_id)
      by_branch.emplace_back(c.branch_id, std::vector<std::string>{});
    by_branch.back().second.push_back(event->SerializeAsString());
  }
  const Instant now = clock_.Now();
  for (auto& entry : by_branch) {
    const std::string branch = entry.first;
    const std::size_t count = entry.second.size();
    log_.Append(branch, std::move(entry.second), now, [this, branch, count](const Status& s) {
      if (!s.ok()) {
        // Committed, but no replica will show it: boards catch up at their next snapshot.
        CSOPS_LOG(kError, "queue_board_events_lost")
            .Kv("branch", branch)
            .Kv("events", static_cast<std::int64_t>(count))
            .Kv("error", s.ToString());
        if (observer_) observer_->Lost(static_cast<int>(count));
      }
      Wake();
    });
  }
}

bool BoardLogFeed::ReadOnce() {
  auto heads = log_.Heads();
  if (!heads.ok()) {
    if (!failing_)
      CSOPS_LOG(kWarning, "queue_board_log_unreadable").Kv("error", heads.status().ToString());
    failing_ = true;
    return false;
  }
  for (const auto& head : *heads) {
    const std::string& branch = head.first;
    std::int64_t last = hub_.LastSequence(branch);
    if (head.second <= last) continue;
    // Nobody here watches: a new watcher's snapshot, read after this, holds these changes.
    if (!based_ || hub_.WatcherCount(branch) == 0) {
      hub_.Advance(branch, head.second);
      continue;
    }
    while (last < head.second) {
      auto entries = log_.After(branch, last, options_.page);
      if (!entries.ok()) {
        if (!failing_)
          CSOPS_LOG(kWarning, "queue_board_log_unreadable")
              .Kv("error", entries.status().ToString());
        failing_ = true;
        return false;
      }
      if (entries->empty()) {  // pruned while this replica could not read: skip the gap
        hub_.Advance(branch, head.second);
        break;
      }
      for (BoardLogEntry& e : *entries) {
        auto event = std::make_shared<v1::BoardEvent>();
        if (!event->ParseFromString(e.payload)) {
          CSOPS_LOG(kError, "queue_board_event_unreadable")
              .Kv("branch", branch)
              .Kv("sequence", e.sequence);
          hub_.Advance(branch, e.sequence);
        } else {
          event->set_sequence(e.sequence);
          if (observer_) observer_->Delivered(clock_.Now() - FromProtoTimestamp(event->at()));
          hub_.Publish(branch, e.sequence, std::move(event));
        }
        last = e.sequence;
      }
    }
  }
  based_ = true;
  if (failing_) CSOPS_LOG(kInfo, "queue_board_log_readable");
  failing_ = false;
  return true;
}

void BoardLogFeed::ReaderLoop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, options_.poll, [this] { return woken_ || stopping_; });
      if (stopping_) return;
      woken_ = false;
    }
    ReadOnce();
    const Instant now = clock_.Now();
    if (now >= next_prune_) {
      next_prune_ = now + options_.prune_every;
      auto pruned = log_.Prune(now - options_.retention);
      if (!pruned.ok()) {
        CSOPS_LOG(kWarning, "queue_board_log_prune_failed").Kv("error", pruned.status().ToString());
      }
    }
  }
}

}  // namespace csops::queue

#include "services/queue/api/board_hub.h"

#include <algorithm>

#include "services/queue/api/queue_convert.h"

namespace csops::queue {

void BoardHub::OnCommitted(const std::vector<QueueChange>& changes) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const QueueChange& c : changes) {
    if (c.kind == ChangeKind::kExpired) continue;  // boards see the DAY_RESET that follows
    const std::int64_t sequence = ++sequence_[c.branch_id];
    auto it = sinks_.find(c.branch_id);
    if (it == sinks_.end() || it->second.empty()) continue;  // nobody watching: no conversion
    auto event = ToBoardEvent(c);
    if (!event) continue;
    event->set_sequence(sequence);
    auto shared = std::make_shared<const v1::BoardEvent>(std::move(*event));
    for (BoardSink* sink : it->second) sink->Deliver(shared);
  }
}

void BoardHub::Publish(const std::string& branch_id, std::int64_t sequence,
                       std::shared_ptr<const v1::BoardEvent> event) {
  std::lock_guard<std::mutex> lock(mu_);
  std::int64_t& last = sequence_[branch_id];
  if (sequence <= last) return;
  last = sequence;
  auto it = sinks_.find(branch_id);
  if (it == sinks_.end()) return;
  for (BoardSink* sink : it->second) sink->Deliver(event);
}

void BoardHub::Advance(const std::string& branch_id, std::int64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  std::int64_t& last = sequence_[branch_id];
  last = std::max(last, sequence);
}

void BoardHub::Subscribe(const std::string& branch_id, BoardSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  sinks_[branch_id].insert(sink);
}

void BoardHub::Unsubscribe(const std::string& branch_id, BoardSink* sink) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sinks_.find(branch_id);
  if (it != sinks_.end()) it->second.erase(sink);
}

std::int64_t BoardHub::LastSequence(const std::string& branch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sequence_.find(branch_id);
  return it == sequence_.end() ? 0 : it->second;
}

Result<std::int64_t> BoardHub::CurrentSequence(const std::string& branch_id) const {
  SequenceSource source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    source = source_;
  }
  if (!source) return LastSequence(branch_id);
  return source(branch_id);
}

void BoardHub::SetSequenceSource(SequenceSource source) {
  std::lock_guard<std::mutex> lock(mu_);
  source_ = std::move(source);
}

std::size_t BoardHub::WatcherCount(const std::string& branch_id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sinks_.find(branch_id);
  return it == sinks_.end() ? 0 : it->second.size();
}

}  // namespace csops::queue

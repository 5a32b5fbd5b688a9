#include "services/queue/api/board_watch_reactor.h"

#include <algorithm>
#include <boost/asio/post.hpp>

#include "common/grpc/grpc_status.h"

namespace csops::queue {

using Lock = std::lock_guard<std::recursive_mutex>;

BoardWatchReactor::BoardWatchReactor(BoardHub& hub, boost::asio::thread_pool& executor,
                                     std::string branch_id, SnapshotFn snapshot,
                                     std::size_t max_queued, std::function<void()> on_done)
    : hub_(hub),
      executor_(executor),
      branch_id_(std::move(branch_id)),
      snapshot_(std::move(snapshot)),
      max_queued_(max_queued),
      on_done_(std::move(on_done)) {
  // Lock order is hub -> watcher (the hub calls Deliver under its lock), so the hub is never
  // called while mu_ is held.
  last_sequence_ = hub_.LastSequence(branch_id_);
  loading_ = true;  // events from now on wait in pending_ until the snapshot is queued
  hub_.Subscribe(branch_id_, this);
  Lock lock(mu_);
  StartSnapshotLocked();
}

void BoardWatchReactor::StartSnapshotLocked() {
  loading_ = true;
  need_snapshot_ = false;
  executor_busy_ = true;
  const std::int64_t sequence = last_sequence_;
  boost::asio::post(executor_, [this, sequence] { LoadSnapshot(sequence); });
}

void BoardWatchReactor::LoadSnapshot(std::int64_t sequence) {
  // The newest number first, then the state: the snapshot holds every event up to `head`.
  auto head = hub_.CurrentSequence(branch_id_);
  auto snap = snapshot_();
  Lock lock(mu_);
  executor_busy_ = false;
  loading_ = false;
  if (finished_) return;
  if (!snap.ok()) {
    FinishLocked(ToGrpcStatus(snap.status()));
    return;
  }
  if (reload_) {
    reload_ = false;
    pending_.clear();
    StartSnapshotLocked();
    return;
  }
  if (head.ok()) sequence = std::max(sequence, *head);
  covered_ = sequence;
  auto event = std::make_shared<v1::BoardEvent>();
  event->set_kind(v1::BOARD_EVENT_KIND_SNAPSHOT);
  event->set_sequence(sequence);
  *event->mutable_at() = snap->as_of();
  *event->mutable_snapshot() = std::move(*snap);
  queue_.clear();
  queue_.push_back(std::move(event));
  for (auto& e : pending_)
    if (e->sequence() > covered_) queue_.push_back(std::move(e));
  pending_.clear();
  if (!in_flight_) WriteNextLocked();
}

void BoardWatchReactor::WriteNextLocked() {
  if (queue_.empty() || finished_) return;
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  StartWrite(in_flight_.get());  // in_flight_ keeps the message alive until OnWriteDone
}

void BoardWatchReactor::Deliver(std::shared_ptr<const v1::BoardEvent> event) {
  Lock lock(mu_);
  if (finished_) return;
  last_sequence_ = std::max(last_sequence_, event->sequence());
  if (loading_) {
    if (pending_.size() >= max_queued_) {
      pending_.clear();
      reload_ = true;
    } else if (!reload_) {
      pending_.push_back(std::move(event));
    }
    return;
  }
  if (need_snapshot_) return;                 // the coming snapshot covers it
  if (event->sequence() <= covered_) return;  // the last snapshot holds it
  if (queue_.size() >= max_queued_) {
    queue_.clear();
    need_snapshot_ = true;
    if (!in_flight_) StartSnapshotLocked();
    return;
  }
  queue_.push_back(std::move(event));
  if (!in_flight_) WriteNextLocked();
}

void BoardWatchReactor::OnWriteDone(bool ok) {
  Lock lock(mu_);
  in_flight_.reset();
  if (finished_) return;
  if (!ok) {
    FinishLocked(grpc::Status::OK);  // the client went away
    return;
  }
  if (need_snapshot_ && !loading_) {
    StartSnapshotLocked();
    return;
  }
  if (!loading_) WriteNextLocked();
}

void BoardWatchReactor::OnCancel() {
  Lock lock(mu_);
  FinishLocked(grpc::Status::CANCELLED);
}

void BoardWatchReactor::FinishLocked(grpc::Status status) {
  if (finished_) return;
  finished_ = true;
  queue_.clear();
  pending_.clear();
  Finish(std::move(status));
}

void BoardWatchReactor::OnDone() {
  hub_.Unsubscribe(branch_id_, this);
  // A snapshot task may still be queued on the executor and refers to `this`.
  for (;;) {
    {
      Lock lock(mu_);
      if (!executor_busy_) break;
    }
    std::this_thread::yield();
  }
  if (on_done_) on_done_();
  delete this;
}

}  // namespace csops::queue

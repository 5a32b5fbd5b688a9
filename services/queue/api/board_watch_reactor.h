// The server side of one WatchBoard stream.
//
// It subscribes to the hub first and then loads a snapshot on the executor, so no event falls
// between the snapshot and the stream. The snapshot carries the hub's CurrentSequence, read
// just before it: every event up to that number is in it, so those events are not sent after
// it (with replicas a change made elsewhere is in the database before its event reaches this
// replica, and a board would announce such a call twice). One write is in flight at a time;
// further events wait in a queue of at most max_queued. If a watcher stops reading and its
// queue overflows, its queued events are dropped and, once it reads again, it gets a fresh
// snapshot (the sequence gap tells the client it was resynchronised). It never slows anyone
// else down.
// Lifetime: created by QueueService::WatchBoard, deletes itself in OnDone.
#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/thread_pool.hpp>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "services/queue/api/board_hub.h"

namespace csops::queue {

class BoardWatchReactor final : public grpc::ServerWriteReactor<v1::BoardEvent>, public BoardSink {
 public:
  static constexpr std::size_t kDefaultMaxQueued = 1024;
  using SnapshotFn = std::function<Result<v1::BranchSnapshot>()>;

  // `on_done` runs once the stream has ended (e.g. to give back a per-client stream slot).
  BoardWatchReactor(BoardHub& hub, boost::asio::thread_pool& executor, std::string branch_id,
                    SnapshotFn snapshot, std::size_t max_queued = kDefaultMaxQueued,
                    std::function<void()> on_done = {});

  void Deliver(std::shared_ptr<const v1::BoardEvent> event) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // All REQUIRE mu_ held. StartWrite and Finish are only ever called under mu_, so a write can
  // never start after Finish. mu_ is recursive because gRPC may run OnWriteDone inline.
  void StartSnapshotLocked();
  void WriteNextLocked();
  void FinishLocked(grpc::Status status);
  void LoadSnapshot(std::int64_t sequence);  // runs on the executor

  BoardHub& hub_;
  boost::asio::thread_pool& executor_;
  const std::string branch_id_;
  SnapshotFn snapshot_;
  const std::size_t max_queued_;
  std::function<void()> on_done_;

  std::recursive_mutex mu_;
  std::deque<std::shared_ptr<const v1::BoardEvent>> queue_;    // guarded by mu_
  std::deque<std::shared_ptr<const v1::BoardEvent>> pending_;  // during a snapshot load
  std::shared_ptr<const v1::BoardEvent> in_flight_;            // guarded by mu_
  bool loading_ = false;                                       // guarded by mu_
  bool reload_ = false;             // guarded by mu_: pending_ overflowed during a load
  bool need_snapshot_ = false;      // guarded by mu_: queue_ overflowed; resync when writable
  bool finished_ = false;           // guarded by mu_
  std::int64_t last_sequence_ = 0;  // guarded by mu_: newest event seen
  std::int64_t covered_ = 0;        // guarded by mu_: the last snapshot holds events up to it
  bool executor_busy_ = false;      // guarded by mu_: a snapshot task refers to this
};

}  // namespace csops::queue

// WatchSlaEvents: fan-out of fired SLA events to supervisors' screens, resumable by cursor.
//
// The engine's event hook calls SlaEventHub::Publish after each commit, in commit order;
// every watcher whose filter matches gets the event, with its cursor, in its SlaEventFeed. A
// watcher that asked to resume (after_cursor) subscribes first and then reads the stored
// events after its cursor, page by page on the executor, before it goes live: see
// sla_event_feed.h for why that leaves no gap and no repeat. A watcher that falls more than
// kMaxQueued events behind drops its queue and catches up from the store the same way, so it
// costs the others nothing and misses nothing.
// Thread safety: all methods are thread-safe; lock order is hub -> watcher.
#pragma once

#include <grpcpp/grpcpp.h>

#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "csops/case/v1/case_service.pb.h"
#include "services/case/case_engine.h"
#include "services/case/sla_event_feed.h"

namespace csops::cases {

class SlaWatchReactor;

// The notice a watcher is sent for `e` (acceptance number in its display form).
::csops::case_::v1::SlaEventNotice ToNotice(const SlaEvent& e);

class SlaEventHub {
 public:
  // Reads stored events for watchers that catch up; CaseEngine::SlaEventsAfter in csopsd.
  using Backlog = std::function<Result<CaseEngine::SlaEventPage>(
      std::int64_t after, const std::string& branch, const std::string& type, int limit)>;
  explicit SlaEventHub(Backlog backlog) : backlog_(std::move(backlog)) {}

  void Publish(const std::vector<SlaEvent>& events);
  void Subscribe(SlaWatchReactor* w);
  void Unsubscribe(SlaWatchReactor* w);
  std::size_t watchers() const;
  const Backlog& backlog() const { return backlog_; }

 private:
  const Backlog backlog_;
  mutable std::mutex mu_;
  std::set<SlaWatchReactor*> watchers_;  // guarded by mu_
};

class SlaWatchReactor final : public grpc::ServerWriteReactor<::csops::case_::v1::SlaEventNotice> {
 public:
  using Notice = std::shared_ptr<const ::csops::case_::v1::SlaEventNotice>;
  static constexpr std::size_t kMaxQueued = 1024;
  static constexpr int kPageSize = 256;

  // `after`: resume after this cursor (nullopt: live events only). Store reads run on
  // `executor`. `on_done` runs once the stream has ended (e.g. to give back a stream slot).
  SlaWatchReactor(SlaEventHub& hub, boost::asio::thread_pool& executor, std::string branch_id,
                  std::string type_code, std::optional<std::int64_t> after,
                  std::function<void()> on_done = {});

  bool Matches(const SlaEvent& e) const;
  // Called by the hub with its lock held.
  void Deliver(std::int64_t cursor, Notice notice);
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // All REQUIRE mu_. StartWrite and Finish are only called under mu_.
  void PumpLocked();  // writes the next event or starts a store read, as the feed says
  void FinishLocked(grpc::Status status);
  void ReadPage(std::int64_t after);  // on the executor

  SlaEventHub& hub_;
  boost::asio::thread_pool& executor_;
  const std::string branch_id_;
  const std::string type_code_;
  const std::optional<std::int64_t> resume_after_;
  std::function<void()> on_done_;
  std::recursive_mutex mu_;     // recursive: gRPC may run OnWriteDone inline
  SlaEventFeed<Notice> feed_;   // guarded by mu_
  Notice in_flight_;            // guarded by mu_
  bool first_read_ = true;      // guarded by mu_: checks the cursor against the newest
  bool executor_busy_ = false;  // guarded by mu_: a read task refers to this
  bool finished_ = false;       // guarded by mu_
};

}  // namespace csops::cases

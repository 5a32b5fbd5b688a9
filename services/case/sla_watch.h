// WatchSlaEvents: fan-out of fired SLA events to supervisors' screens.
//
// The engine's event hook calls SlaEventHub::Publish after each commit; every watcher whose
// filter matches gets the event appended to its own bounded queue (at most kMaxQueued). A
// watcher that falls that far behind is ended with RESOURCE_EXHAUSTED instead of slowing the
// others; it reconnects and reads the current state with ListCases.
// Thread safety: all methods are thread-safe; lock order is hub -> watcher.
#pragma once

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>

#include "csops/case/v1/case_service.pb.h"
#include "services/case/case_engine.h"

namespace csops::cases {

class SlaWatchReactor;

class SlaEventHub {
 public:
  void Publish(const std::vector<SlaEvent>& events);
  void Subscribe(SlaWatchReactor* w);
  void Unsubscribe(SlaWatchReactor* w);
  std::size_t watchers() const;

 private:
  mutable std::mutex mu_;
  std::set<SlaWatchReactor*> watchers_;  // guarded by mu_
};

class SlaWatchReactor final : public grpc::ServerWriteReactor<::csops::case_::v1::SlaEventNotice> {
 public:
  static constexpr std::size_t kMaxQueued = 1024;
  // `on_done` runs once the stream has ended (e.g. to give back a per-client stream slot).
  SlaWatchReactor(SlaEventHub& hub, std::string branch_id, std::string type_code,
                  std::function<void()> on_done = {});

  bool Matches(const SlaEvent& e) const;
  // Called by the hub with its lock held.
  void Deliver(std::shared_ptr<const ::csops::case_::v1::SlaEventNotice> notice);
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  void WriteNextLocked();                  // REQUIRES: mu_
  void FinishLocked(grpc::Status status);  // REQUIRES: mu_

  SlaEventHub& hub_;
  const std::string branch_id_;
  const std::string type_code_;
  std::function<void()> on_done_;
  std::recursive_mutex mu_;  // recursive: gRPC may run OnWriteDone inline
  std::deque<std::shared_ptr<const ::csops::case_::v1::SlaEventNotice>> queue_;
  std::shared_ptr<const ::csops::case_::v1::SlaEventNotice> in_flight_;
  bool finished_ = false;
};

}  // namespace csops::cases

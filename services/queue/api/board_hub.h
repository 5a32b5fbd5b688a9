// Fan-out of committed queue changes to display boards and apps (WatchBoard streams).
//
// Each change is converted to a BoardEvent once, stamped with the branch's next sequence
// number, and handed to every sink watching that branch. Delivery only appends to the sink's
// own bounded queue, so a slow or stuck watcher costs the others (and the counters, whose
// commits trigger the fan-out) nothing but that append.
// Thread safety: all methods are thread-safe. After Unsubscribe returns, the sink receives no
// further Deliver calls.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "csops/queue/v1/queue_service.pb.h"
#include "services/queue/queue_engine.h"

namespace csops::queue {

class BoardSink {
 public:
  virtual ~BoardSink() = default;
  // Called with the hub's lock held: must not block and must not call back into the hub.
  virtual void Deliver(std::shared_ptr<const v1::BoardEvent> event) = 0;
};

class BoardHub final : public QueueListener {
 public:
  void OnCommitted(const std::vector<QueueChange>& changes) override;
  void Subscribe(const std::string& branch_id, BoardSink* sink);
  void Unsubscribe(const std::string& branch_id, BoardSink* sink);
  // Sequence number of the last event published for the branch (0 before any).
  std::int64_t LastSequence(const std::string& branch_id) const;
  std::size_t WatcherCount(const std::string& branch_id) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::set<BoardSink*>> sinks_;  // guarded by mu_
  std::map<std::string, std::int64_t> sequence_;       // guarded by mu_
};

// Several listeners as one, called in order.
class ListenerFanout final : public QueueListener {
 public:
  explicit ListenerFanout(std::vector<QueueListener*> listeners)
      : listeners_(std::move(listeners)) {}
  void OnCommitted(const std::vector<QueueChange>& changes) override {
    for (QueueListener* l : listeners_) l->OnCommitted(changes);
  }

 private:
  std::vector<QueueListener*> listeners_;
};

}  // namespace csops::queue

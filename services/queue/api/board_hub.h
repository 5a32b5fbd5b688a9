// Fan-out of committed queue changes to display boards and apps (WatchBoard streams).
//
// Each change is converted to a BoardEvent once, stamped with the branch's next sequence
// number, and handed to every sink watching that branch. Delivery only appends to the sink's
// own bounded queue, so a slow or stuck watcher costs the others (and the counters, whose
// commits trigger the fan-out) nothing but that append.
// Numbering: on SQLite (one process) the hub is the engine's listener and numbers changes in
// memory (OnCommitted). With replicas on PostgreSQL the shared log numbers them and a
// BoardLogFeed (board_log_feed.h) hands them over numbered (Publish), so a branch's events
// carry the same numbers on every replica and a board may reconnect to any of them.
// Thread safety: all methods are thread-safe. After Unsubscribe returns, the sink receives no
// further Deliver calls.
#pragma once

#include <functional>
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
  // Numbers and delivers changes of this process (the in-memory path).
  void OnCommitted(const std::vector<QueueChange>& changes) override;
  // Delivers an event numbered elsewhere. One at or below the branch's last sequence was
  // delivered before and is dropped; so the caller may repeat itself after a failure.
  void Publish(const std::string& branch_id, std::int64_t sequence,
               std::shared_ptr<const v1::BoardEvent> event);
  // Moves the branch's last sequence to `sequence` (if higher) without delivering anything:
  // events nobody watches, or the log's head when a replica starts.
  void Advance(const std::string& branch_id, std::int64_t sequence);
  void Subscribe(const std::string& branch_id, BoardSink* sink);
  void Unsubscribe(const std::string& branch_id, BoardSink* sink);
  // Sequence number of the last event published for the branch (0 before any).
  std::int64_t LastSequence(const std::string& branch_id) const;

  // The branch's newest sequence number wherever events are numbered: every event up to it
  // has been committed. A snapshot read after this call holds all of them, so a watcher
  // labels its snapshot with it and drops those events when they reach it (with replicas the
  // log's head is ahead of what this hub has delivered by up to a poll). LastSequence unless
  // a source is set. May block on the database: call it from the executor, never from a sink.
  using SequenceSource = std::function<Result<std::int64_t>(const std::string& branch_id)>;
  Result<std::int64_t> CurrentSequence(const std::string& branch_id) const;
  // Installs (or, with nullptr, removes) the source CurrentSequence asks.
  void SetSequenceSource(SequenceSource source);
  std::size_t WatcherCount(const std::string& branch_id) const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::set<BoardSink*>> sinks_;  // guarded by mu_
  std::map<std::string, std::int64_t> sequence_;       // guarded by mu_
  SequenceSource source_;                              // guarded by mu_
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

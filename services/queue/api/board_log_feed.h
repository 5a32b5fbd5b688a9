// Board events across replicas (issue 18): a call made through replica A reaches the boards
// connected to replica B within the poll interval, under the same sequence number on both.
//
// Write side. As the engine's listener, OnCommitted converts each committed change to a
// BoardEvent and appends the serialised events to the shared BoardLog in one transaction,
// right after the change's own commit, under the branch's lock, which numbers them.
// Read side. One reader thread per replica reads the log's heads (one query for all
// branches), and for each branch that moved and has watchers here the entries after the
// hub's last sequence, which it hands to the hub numbered (BoardHub::Publish), in order.
// It reads after every local append (so local boards wait one round trip, not a poll) and
// otherwise every options.poll: that bounds a remote board's delay, and nothing is lost if a
// wake-up is, since the reader goes by sequence numbers, not by wake-ups. At start it takes
// the heads as they are, so boards are not replayed the day's history. Entries older than
// options.retention are pruned by every replica (the same DELETE; harmless twice).
// Snapshots. The feed makes the log's head the hub's CurrentSequence, so a board's snapshot
// (on any replica) carries the number of the newest event it holds: after a reconnect to
// another replica, the gap from the board's last number is exactly the events it missed.
//
// Why poll rather than LISTEN/NOTIFY: the poll is one indexed query of a row per branch, ten
// times a second per replica; it keeps the 1 s promise with room to spare, needs no second
// kind of connection in common/postgres, and runs on the PostgreSQL-compatible engines csops
// allows (which lack LISTEN/NOTIFY), like Connection::LockKey's row locks.
//
// Why after the commit, not inside it: the engine hands out changes only once they are
// committed (QueueEngine::Run). The price, until the engine appends inside its transaction:
//   * a replica killed between a commit and its append loses that change's events (boards
//     catch up at their next snapshot; the next event of a service carries its waiting count);
//   * two replicas committing changes of one branch within a few milliseconds of each other
//     may number them in the order of their appends rather than of their commits;
//   * a snapshot read in the few milliseconds between a commit and its append holds the
//     change, and its event still follows (once, under the next number).
// Appends of one process keep its commit order (the same serial key, queued in commit order).
//
// Thread safety: OnCommitted may be called from any thread. Start/Stop from one thread.
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/base/clock.h"
#include "services/queue/api/board_hub.h"
#include "services/queue/store/board_log.h"

namespace csops::queue {

// What the feed reports, for metrics (board_feed_metrics.h). Called from store and reader
// threads; must not block.
class BoardFeedObserver {
 public:
  virtual ~BoardFeedObserver() = default;
  // `events` committed changes whose append failed: no replica will show them.
  virtual void Lost(int events) = 0;
  // An event handed to this replica's watchers `delay` after its change's instant (the
  // writing replica's clock).
  virtual void Delivered(Duration delay) = 0;
};

class BoardLogFeed final : public QueueListener {
 public:
  struct Options {
    Duration poll = std::chrono::milliseconds(100);  // the longest wait between two reads
    Duration retention = std::chrono::hours(24);     // entries older than this are pruned
    Duration prune_every = std::chrono::hours(1);    // how often this replica prunes
    int page = 500;                                  // entries per query
  };

  // `log`, `hub`, `clock` and `observer` (optional) must outlive this.
  BoardLogFeed(BoardLog& log, BoardHub& hub, const Clock& clock, Options options,
               BoardFeedObserver* observer = nullptr);
  BoardLogFeed(BoardLog& log, BoardHub& hub, const Clock& clock,
               BoardFeedObserver* observer = nullptr)
      : BoardLogFeed(log, hub, clock, Options(), observer) {}
  ~BoardLogFeed();  // Stop()

  // Takes the log's heads (if it can: else the reader does so first) and starts the reader.
  void Start();
  // Stops the reader; appends still queued complete in the store. Idempotent.
  void Stop();

  void OnCommitted(const std::vector<QueueChange>& changes) override;

 private:
  void ReaderLoop();
  // One round: heads, then what moved. False if the log could not be read.
  bool ReadOnce();
  void Wake();

  BoardLog& log_;
  BoardHub& hub_;
  const Clock& clock_;
  const Options options_;
  BoardFeedObserver* const observer_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;     // guarded by mu_: a local append committed since the last read
  bool stopping_ = false;  // guarded by mu_
  // Reader thread only: the heads were taken once (before that, nothing is delivered).
  bool based_ = false;
  bool failing_ = false;  // reader thread only: the last read failed (logged once)
  Instant next_prune_;    // reader thread only
  std::thread reader_;
};

}  // namespace csops::queue

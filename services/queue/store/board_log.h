// The board events of every branch as one numbered log in the shared database, so that every
// csopsd replica on it delivers the same events under the same sequence numbers (issue 18).
//
// Entries are opaque bytes (api/ puts a serialised BoardEvent there: no personal data, see
// queue_service.proto) under (branch, sequence). A branch's sequence numbers increase by one
// per entry, never restart (the head survives pruning), and become visible in order: the
// transaction that numbers entries n.. holds the branch's lock until it commits, so a reader
// that has seen n has seen everything before it. Only the PostgreSQL store has one (SQLite is
// one process; its hub numbers events in memory).
// Thread safety: every method may be called from any thread.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace csops::queue {

struct BoardLogEntry {
  std::int64_t sequence = 0;
  std::string payload;
};

class BoardLog {
 public:
  virtual ~BoardLog() = default;
  // Appends `payloads` to the branch's log in one transaction, numbered after its head, with
  // `at` as their write time (for Prune). `done` runs after the commit, on a store thread.
  virtual void Append(const std::string& branch_id, std::vector<std::string> payloads, Instant at,
                      std::function<void(const Status&)> done) = 0;
  // The last sequence number of every branch that has ever had an entry.
  virtual Result<std::map<std::string, std::int64_t>> Heads() = 0;
  // The branch's entries with a sequence above `after`, in order, at most `limit`.
  virtual Result<std::vector<BoardLogEntry>> After(const std::string& branch_id, std::int64_t after,
                                                   int limit) = 0;
  // Deletes the entries written before `cutoff` (heads stay); returns how many.
  virtual Result<int> Prune(Instant cutoff) = 0;
};

}  // namespace csops::queue

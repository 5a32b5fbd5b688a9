// BoardLog on PostgreSQL (schema csops_queue, migration 2): csops_board_events holds the entries,
// csops_board_heads the last sequence number of each branch.
//
// Append takes the branch's lock (Connection::LockKey("branch", id), the lock every queue
// transaction of the branch takes first) under Database::Transact's serial key "branch:<id>",
// then moves the head and inserts the rows: the numbering is serialised with the branch's
// own transactions in every process, so numbers are consecutive and commit in order.
// Reads (Heads, After) run on the pool on one snapshot each; Prune deletes by write time.
#pragma once

#include "common/postgres/database.h"
#include "services/queue/store/board_log.h"

namespace csops::queue {

// Append's statements, inside the caller's transaction (which then holds the branch's lock
// until it ends): for a store that writes a change's events in the change's own transaction.
Status AppendBoardEntries(postgres::Connection& c, const std::string& branch_id,
                          const std::vector<std::string>& payloads, Instant at);

class PostgresBoardLog final : public BoardLog {
 public:
  // `db` must have PostgresQueueStore::Migrations() applied and outlive this.
  explicit PostgresBoardLog(postgres::Database& db) : db_(db) {}

  void Append(const std::string& branch_id, std::vector<std::string> payloads, Instant at,
              std::function<void(const Status&)> done) override;
  Result<std::map<std::string, std::int64_t>> Heads() override;
  Result<std::vector<BoardLogEntry>> After(const std::string& branch_id, std::int64_t after,
                                           int limit) override;
  Result<int> Prune(Instant cutoff) override;

 private:
  postgres::Database& db_;
};

}  // namespace csops::queue

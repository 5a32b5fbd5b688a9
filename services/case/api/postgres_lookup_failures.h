// The failed-look-up count of every replica on one PostgreSQL database (lookup_failures.h),
// in the case schema's table csops_lookup_failures (migration 2 of PostgresCaseStore).
//
// One row per failure: an HMAC-SHA256 of the client's key under the office's look-up secret
// (so the table holds no IP address, and the same client has the same key on every replica,
// which all hold the one secret) and the database server's now(). The window is read on the
// server's clock too, so replicas whose clocks disagree still agree on the count; the `now`
// arguments are not used. Each check is one statement (a count of the client's rows in the
// window) and each failure one statement, which also deletes that client's expired rows and,
// on every kSweepEvery-th failure a replica records, everyone's, so the table stays small
// without a job of its own.
//
// When the database cannot be reached, Allowed and Record answer kUnavailable naming the
// database (never its connection string), and the look-up is refused. A failure the database
// did not take is kept in this process and still counts here, so a database that reads but
// cannot write (a full disk) does not turn the limit off.
// Thread safety: every method may be called from any thread; Allowed and Record block on the
// database (call them from a worker, never from a gRPC reaction).
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "common/postgres/database.h"
#include "services/case/api/lookup_failures.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {

class PostgresFailureLedger final : public FailureLedger {
 public:
  static constexpr std::uint64_t kSweepEvery = 64;

  // `db` holds the case schema at version 2 or later and outlives the ledger.
  PostgresFailureLedger(postgres::Database& db, const LookupSecret& secret)
      : db_(db), secret_(secret) {}

  Result<bool> Allowed(const std::string& client, Instant now) override;
  Status Record(const std::string& client, Instant now) override;

  // The key a client's rows are stored under: 64 hex digits.
  std::string ClientDigest(const std::string& client) const;

 private:
  postgres::Database& db_;
  const LookupSecret secret_;
  std::atomic<std::uint64_t> records_{0};
  InMemoryFailureLedger unrecorded_;  // failures the database refused to take
};

}  // namespace csops::cases

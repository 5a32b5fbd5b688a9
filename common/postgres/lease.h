// Leases for singleton work among csopsd replicas on one database (the daily ticket expiry,
// retention purges, postcard windows, periodic sweeps): at most one holder at a time, handed
// over within one lease period when the holder dies, and fenced so that a holder which lost
// its lease (paused past the expiry, cut off from the database) cannot write any more.
//
// A lease is a row of csops_leases (name, holder, epoch, expires_at) in the service's schema
// (Database creates the table). Expiry is decided on the database server's clock, so the
// replicas' own clocks do not matter. Every change of holder increments the epoch. A write made
// under a lease runs CheckFence first, in the write's own transaction: it reads the row FOR
// SHARE, so a takeover (an UPDATE of that row) waits until the write has committed, and a
// holder whose lease lapsed, or whose epoch is old, gets FAILED_PRECONDITION and writes
// nothing. Row locks only: no advisory locks (not portable to CockroachDB or YugabyteDB).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/base/status.h"
#include "common/postgres/connection.h"

namespace csops::postgres {

// Takes `name` for `holder` until the database's now() + ttl when it is free, expired, or
// already this holder's (a renewal, same epoch). The epoch held, or nullopt when another
// holder's lease is still live. One statement; run it in a transaction of its own.
Result<std::optional<std::int64_t>> AcquireLease(Connection& c, std::string_view name,
                                                 std::string_view holder,
                                                 std::chrono::milliseconds ttl);

// Gives the lease up at once (a clean shutdown), so the next holder need not wait for the
// expiry. Nothing happens if `holder` no longer holds `epoch`.
Status ReleaseLease(Connection& c, std::string_view name, std::string_view holder,
                    std::int64_t epoch);

// Inside a write's transaction: OK only while `holder` holds `name` at `epoch` and the lease
// has not expired; the row stays share-locked until the transaction ends. FAILED_PRECONDITION
// naming the lease otherwise.
Status CheckFence(Connection& c, std::string_view name, std::string_view holder,
                  std::int64_t epoch);

}  // namespace csops::postgres

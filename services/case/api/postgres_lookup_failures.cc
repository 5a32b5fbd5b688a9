#include "services/case/api/postgres_lookup_failures.h"

#include <string_view>

#include "common/base/digest.h"

namespace csops::cases {
namespace {

const std::int64_t kWindowMs = std::chrono::milliseconds(FailureLedger::kWindow).count();

// The client's failures in the window, on the server's clock.
const std::string kCount =
    "SELECT count(*) FROM csops_lookup_failures "
    "WHERE client = $1 AND at > now() - $2::bigint * interval '1 millisecond'";

// One failure, and the expired rows of this client ($3 = 0) or of everyone ($3 = 1) gone in
// the same statement.
const std::string kRecord =
    "WITH expired AS (DELETE FROM csops_lookup_failures "
    "WHERE at <= now() - $2::bigint * interval '1 millisecond' AND (client = $1 OR $3::int = 1)) "
    "INSERT INTO csops_lookup_failures(client, at) VALUES($1, now())";

}  // namespace

std::string PostgresFailureLedger::ClientDigest(const std::string& client) const {
  // Framed under a label of its own: no client's digest is any other message's MAC.
  const auto mac = secret_.Mac(Framed({"csops lookup failure client v1", client}));
  return HexLower(mac.data(), mac.size());
}

Result<bool> PostgresFailureLedger::Allowed(const std::string& client, Instant now) {
  const int here = unrecorded_.Count(client, now);
  if (here >= kLimit) return false;
  std::int64_t counted = 0;
  Status s = db_.Read([&](postgres::Connection& c) -> Status {
    auto rows = c.Query(kCount, {ClientDigest(client), kWindowMs});
    if (!rows.ok()) return rows.status();
    counted = rows->Int(0, 0);
    return Status::Ok();
  });
  if (!s.ok()) return s.WithContext("failed look-ups of this client");
  return here + counted < kLimit;
}

Status PostgresFailureLedger::Record(const std::string& client, Instant now) {
  const std::string digest = ClientDigest(client);
  const int sweep = (records_.fetch_add(1) + 1) % kSweepEvery == 0 ? 1 : 0;
  Status s = db_.Write([&](postgres::Connection& c) -> Status {
    return c.Run(kRecord, {digest, kWindowMs, sweep}).status();
  });
  if (s.ok()) return s;
  unrecorded_.Record(client, now);  // still counts on this replica
  return s.WithContext("failed look-up of this client not recorded");
}

}  // namespace csops::cases

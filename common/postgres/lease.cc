#include "common/postgres/lease.h"

#include <string>

namespace csops::postgres {

Result<std::optional<std::int64_t>> AcquireLease(Connection& c, std::string_view name,
                                                 std::string_view holder,
                                                 std::chrono::milliseconds ttl) {
  // A new row starts at epoch 1; a lapsed lease taken by another holder moves to the next
  // epoch; the holder's own renewal keeps its epoch. A live lease of another holder matches
  // neither branch of the WHERE, so nothing is returned.
  static const std::string kAcquire =
      "INSERT INTO csops_leases(name, holder, epoch, expires_at) "
      "VALUES($1, $2, 1, now() + $3::bigint * interval '1 millisecond') "
      "ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, "
      "epoch = csops_leases.epoch + CASE WHEN csops_leases.holder = EXCLUDED.holder "
      "AND csops_leases.expires_at > now() THEN 0 ELSE 1 END, "
      "expires_at = EXCLUDED.expires_at "
      "WHERE csops_leases.holder = EXCLUDED.holder OR csops_leases.expires_at <= now() "
      "RETURNING epoch";
  auto rows = c.Query(kAcquire, {name, holder, static_cast<std::int64_t>(ttl.count())});
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(rows->Int(0, 0));
}

Status ReleaseLease(Connection& c, std::string_view name, std::string_view holder,
                    std::int64_t epoch) {
  auto done = c.Run(
      "UPDATE csops_leases SET expires_at = now() WHERE name = $1 AND holder = $2 AND epoch = $3",
      {name, holder, epoch});
  return done.status();
}

Status CheckFence(Connection& c, std::string_view name, std::string_view holder,
                  std::int64_t epoch) {
  auto rows = c.Query(
      "SELECT 1 FROM csops_leases WHERE name = $1 AND holder = $2 AND epoch = $3 "
      "AND expires_at > now() FOR SHARE",
      {name, holder, epoch});
  if (!rows.ok()) return rows.status();
  if (rows->empty())
    return Status::FailedPrecondition("lease " + std::string(name) + ": epoch " +
                                      std::to_string(epoch) + " of " + std::string(holder) +
                                      " is no longer held; another replica has taken over");
  return Status::Ok();
}

}  // namespace csops::postgres

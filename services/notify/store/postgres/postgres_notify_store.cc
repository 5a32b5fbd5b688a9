// The PostgreSQL notify store: Transact and Read, and the queries of notifications, deliveries,
// attempts, claims and leases, receipts, the purge and the report rows (the rest of the queries
// in postgres_notify_state.cc). The locks each read takes are described in
// postgres_notify_store.h.
#include "services/notify/store/postgres/postgres_notify_store.h"

#include <limits>
#include <set>

#include "services/notify/store/postgres/postgres_notify_tx.h"

namespace csops::notify {

using postgres::Connection;
using postgres::Params;
using postgres::Rows;

namespace pgstore {
namespace {

const std::string kNotificationColumns =
    "id, idempotency_key, kind, locale, recipient, variables, urgent, fallback, accepted_at, "
    "plan_key, request_fingerprint";

const std::string kDeliveryColumns =
    "id, notification_id, position, channel, status, attempts, next_attempt_at, provider, "
    "provider_message_id, last_error, sent_at";

postgres::Value OptMillis(const std::optional<Instant>& t) {
  if (!t) return std::nullopt;
  return ToUnixMillis(*t);
}

std::optional<Instant> OptInstant(const Rows& r, int row, int col) {
  if (r.IsNull(row, col)) return std::nullopt;
  return FromUnixMillis(r.Int(row, col));
}

Result<DeliveryRecord> ReadDelivery(const Rows& r, int i) {
  DeliveryRecord d;
  d.id = r.Int(i, 0);
  d.notification_id = r.Int(i, 1);
  d.position = static_cast<int>(r.Int(i, 2));
  auto ch = ParseChannel(r.Text(i, 3));
  auto status = ParseDeliveryStatus(r.Text(i, 4));
  if (!ch || !status)
    return Status::Internal("deliveries row " + std::to_string(d.id) + ": unknown channel '" +
                            r.Text(i, 3) + "' or status '" + r.Text(i, 4) + "'");
  d.channel = *ch;
  d.status = *status;
  d.attempts = static_cast<int>(r.Int(i, 5));
  d.next_attempt_at = FromUnixMillis(r.Int(i, 6));
  d.provider = r.Text(i, 7);
  d.provider_message_id = r.Text(i, 8);
  d.last_error = r.Text(i, 9);
  d.sent_at = OptInstant(r, i, 10);
  return d;
}

Result<std::optional<DeliveryRecord>> First(Result<std::vector<DeliveryRecord>> all) {
  if (!all.ok()) return all.status();
  if (all->empty()) return std::optional<DeliveryRecord>();
  return std::optional<DeliveryRecord>(std::move(all->front()));
}

Status Done(const Result<int>& r) { return r.ok() ? Status::Ok() : r.status(); }

}  // namespace

Status PostgresNotifyTx::Failed(Status s) {
  if (first_failure_.ok()) first_failure_ = s;
  return s;
}

Result<Rows> PostgresNotifyTx::Query(const std::string& sql, const Params& params) {
  auto r = c_.Query(sql, params);
  if (!r.ok()) return Failed(r.status());
  return r;
}

Result<int> PostgresNotifyTx::Run(const std::string& sql, const Params& params) {
  auto r = c_.Run(sql, params);
  if (!r.ok()) return Failed(r.status());
  return r;
}

Status PostgresNotifyTx::Exec(const std::string& sql) {
  Status s = c_.Exec(sql);
  return s.ok() ? s : Failed(s);
}

Status PostgresNotifyTx::Lock(std::string_view scope, const std::string& key) {
  if (!locking_) return Status::Ok();
  Status s = c_.LockKey(scope, key);
  return s.ok() ? s : Failed(s);
}

Result<std::vector<DeliveryRecord>> PostgresNotifyTx::DeliveryRows(const std::string& sql,
                                                                   const Params& params) {
  auto r = Query(sql, params);
  if (!r.ok()) return r.status();
  std::vector<DeliveryRecord> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) {
    auto d = ReadDelivery(*r, i);
    if (!d.ok()) return d.status();
    out.push_back(std::move(*d));
  }
  return out;
}

Result<std::optional<std::int64_t>> PostgresNotifyTx::FindByKey(const std::string& key) {
  // The engine inserts when this finds nothing: the key's lock makes that check-then-insert
  // one step for every transaction with the same key.
  CSOPS_RETURN_IF_ERROR(Lock("notification_key", key));
  auto r = Query("SELECT id FROM notifications WHERE idempotency_key = $1", {key});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(r->Int(0, 0));
}

Result<std::int64_t> PostgresNotifyTx::InsertNotification(const NotificationRecord& n) {
  // ON CONFLICT: a stored key is the caller's answer, and the transaction stays usable.
  auto r = Query(
      "INSERT INTO notifications(idempotency_key, kind, locale, customer_number, recipient, "
      "variables, urgent, fallback, accepted_at, plan_key, request_fingerprint) "
      "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
      "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
      {n.idempotency_key, n.kind, n.locale, n.recipient.customer_number, RecipientJson(n.recipient),
       VariablesJson(n.variables), n.urgent ? 1 : 0, n.fallback ? 1 : 0,
       ToUnixMillis(n.accepted_at), n.plan_key, n.request_fingerprint});
  if (!r.ok()) return r.status();
  if (r->empty())
    return Status::AlreadyExists("idempotency_key: '" + n.idempotency_key +
                                 "' is stored already for another notification");
  return r->Int(0, 0);
}

Result<std::int64_t> PostgresNotifyTx::InsertDelivery(const DeliveryRecord& d) {
  auto r = Query(
      "INSERT INTO deliveries(notification_id, position, channel, status, next_attempt_at) "
      "VALUES($1, $2, $3, $4, $5) RETURNING id",
      {d.notification_id, d.position, ChannelName(d.channel), DeliveryStatusName(d.status),
       ToUnixMillis(d.next_attempt_at)});
  if (!r.ok()) return r.status();
  return r->Int(0, 0);
}

Result<std::optional<NotificationRecord>> PostgresNotifyTx::Notification(std::int64_t id) {
  const std::string sql = "SELECT " + kNotificationColumns + " FROM notifications WHERE id = $1";
  auto r = Query(locking_ ? sql + " FOR UPDATE" : sql, {id});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<NotificationRecord>();
  NotificationRecord n;
  n.id = r->Int(0, 0);
  n.idempotency_key = r->Text(0, 1);
  n.kind = r->Text(0, 2);
  n.locale = r->Text(0, 3);
  n.recipient = ParseRecipient(r->Text(0, 4));
  n.variables = ParseVariables(r->Text(0, 5));
  n.urgent = r->Int(0, 6) != 0;
  n.fallback = r->Int(0, 7) != 0;
  n.accepted_at = FromUnixMillis(r->Int(0, 8));
  n.plan_key = r->Text(0, 9);
  n.request_fingerprint = r->Text(0, 10);
  return std::optional<NotificationRecord>(std::move(n));
}

Result<std::vector<DeliveryRecord>> PostgresNotifyTx::Deliveries(std::int64_t notification_id) {
  // No lock: every write of a delivery that is not pending holds its notification's lock.
  return DeliveryRows("SELECT " + kDeliveryColumns +
                          " FROM deliveries WHERE notification_id = $1 ORDER BY position",
                      {notification_id});
}

Result<std::vector<AttemptRecord>> PostgresNotifyTx::Attempts(std::int64_t notification_id) {
  auto r = Query(
      "SELECT a.id, a.delivery_id, a.at, a.channel, a.provider, a.result, a.provider_message_id, "
      "a.latency_ms, a.error FROM attempts a JOIN deliveries d ON d.id = a.delivery_id "
      "WHERE d.notification_id = $1 ORDER BY a.id",
      {notification_id});
  if (!r.ok()) return r.status();
  std::vector<AttemptRecord> out;
  for (int i = 0; i < r->size(); ++i) {
    auto ch = ParseChannel(r->Text(i, 3));
    if (!ch)
      return Status::Internal("attempts row " + r->Text(i, 0) + ": unknown channel '" +
                              r->Text(i, 3) + "'");
    out.push_back({r->Int(i, 1), FromUnixMillis(r->Int(i, 2)), *ch, r->Text(i, 4), r->Text(i, 5),
                   r->Text(i, 6), r->Int(i, 7), r->Text(i, 8)});
  }
  return out;
}

Result<std::vector<std::int64_t>> PostgresNotifyTx::ListByCustomer(const std::string& customer,
                                                                   std::int64_t before_id,
                                                                   int limit) {
  // `customer_number <> ''` lets a generic plan use the partial index too.
  auto r = Query(
      "SELECT id FROM notifications WHERE customer_number = $1 AND customer_number <> '' AND "
      "id < $2 ORDER BY id DESC LIMIT $3",
      {customer, before_id == 0 ? std::numeric_limits<std::int64_t>::max() : before_id, limit});
  if (!r.ok()) return r.status();
  std::vector<std::int64_t> out;
  for (int i = 0; i < r->size(); ++i) out.push_back(r->Int(i, 0));
  return out;
}

Result<std::vector<DeliveryRecord>> PostgresNotifyTx::ClaimDue(Instant now, Instant lease_end,
                                                               int limit) {
  // One statement: the due rows other claims hold are skipped, the rest leased at once.
  return DeliveryRows(
      "WITH due AS (SELECT id AS due_id FROM deliveries WHERE status = 'pending' AND "
      "next_attempt_at <= $2 ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) "
      "UPDATE deliveries SET next_attempt_at = $1, leased = 1, leased_by = $4 FROM due "
      "WHERE id = due_id RETURNING " +
          kDeliveryColumns,
      {ToUnixMillis(lease_end), ToUnixMillis(now), limit, replica_});
}

Result<std::optional<DeliveryRecord>> PostgresNotifyTx::Delivery(std::int64_t id) {
  const std::string sql = "SELECT " + kDeliveryColumns + " FROM deliveries WHERE id = $1";
  if (!locking_) return First(DeliveryRows(sql, {id}));
  // The notification first (the subquery runs before the outer row is locked), then the row.
  return First(DeliveryRows(
      sql + " AND notification_id = (SELECT n.id FROM notifications n JOIN deliveries d ON "
            "d.notification_id = n.id WHERE d.id = $1 FOR UPDATE OF n) FOR UPDATE",
      {id}));
}

Status PostgresNotifyTx::SaveDelivery(const DeliveryRecord& d) {
  return Done(
      Run("UPDATE deliveries SET status = $1, attempts = $2, next_attempt_at = $3, provider = $4, "
          "provider_message_id = $5, last_error = $6, sent_at = $7, leased = 0 WHERE id = $8",
          {DeliveryStatusName(d.status), d.attempts, ToUnixMillis(d.next_attempt_at), d.provider,
           d.provider_message_id, d.last_error, OptMillis(d.sent_at), d.id}));
}

Status PostgresNotifyTx::InsertAttempt(const AttemptRecord& a) {
  return Done(
      Run("INSERT INTO attempts(delivery_id, at, channel, provider, result, provider_message_id, "
          "latency_ms, error) VALUES($1, $2, $3, $4, $5, $6, $7, $8)",
          {a.delivery_id, ToUnixMillis(a.at), ChannelName(a.channel), a.provider, a.result,
           a.provider_message_id, a.latency_ms, a.error}));
}

Result<int> PostgresNotifyTx::ReleaseLeases(Instant now) {
  return Run(
      "UPDATE deliveries SET next_attempt_at = $1, leased = 0 WHERE leased = 1 AND "
      "status = 'pending' AND leased_by = $2",
      {ToUnixMillis(now), replica_});
}

Result<std::optional<Instant>> PostgresNotifyTx::NextDue() {
  auto r = Query("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'", {});
  if (!r.ok()) return r.status();
  return OptInstant(*r, 0, 0);
}

Result<std::optional<DeliveryRecord>> PostgresNotifyTx::FindByProviderId(
    const std::string& provider, const std::string& message_id) {
  // `provider_message_id <> ''` lets a generic plan use the partial index.
  const std::string sql = "SELECT " + kDeliveryColumns +
                          " FROM deliveries WHERE provider = $1 AND provider_message_id = $2 AND "
                          "provider_message_id <> ''";
  if (!locking_) return First(DeliveryRows(sql + " ORDER BY id LIMIT 1", {provider, message_id}));
  const std::string locked =
      sql +
      " AND notification_id IN (SELECT n.id FROM notifications n JOIN deliveries d ON "
      "d.notification_id = n.id WHERE d.provider = $1 AND d.provider_message_id = $2 AND "
      "d.provider_message_id <> '' FOR UPDATE OF n) ORDER BY id LIMIT 1 FOR UPDATE";
  auto found = First(DeliveryRows(locked, {provider, message_id}));
  if (!found.ok() || found->has_value() || message_id.empty()) return found;
  // Not recorded (yet): wait for a transaction recording this send, then look again, so the
  // receipt is either applied here or saved where that transaction's TakeEarlyReceipt takes it.
  CSOPS_RETURN_IF_ERROR(Lock("provider_message", provider + "/" + message_id));
  return First(DeliveryRows(locked, {provider, message_id}));
}

Status PostgresNotifyTx::SaveEarlyReceipt(const std::string& provider,
                                          const std::string& message_id, const EarlyReceipt& r) {
  return Done(
      Run("INSERT INTO early_receipts(provider, provider_message_id, delivered, detail, "
          "received_at) VALUES($1, $2, $3, $4, $5) ON CONFLICT (provider, provider_message_id) "
          "DO UPDATE SET delivered = excluded.delivered, detail = excluded.detail, "
          "received_at = excluded.received_at",
          {provider, message_id, r.delivered ? 1 : 0, r.detail, ToUnixMillis(r.received_at)}));
}

Result<std::optional<EarlyReceipt>> PostgresNotifyTx::TakeEarlyReceipt(
    const std::string& provider, const std::string& message_id) {
  if (!message_id.empty())
    CSOPS_RETURN_IF_ERROR(Lock("provider_message", provider + "/" + message_id));
  auto r = Query(
      "DELETE FROM early_receipts WHERE provider = $1 AND provider_message_id = $2 "
      "RETURNING delivered, detail, received_at",
      {provider, message_id});
  if (!r.ok()) return r.status();
  if (r->empty()) return std::optional<EarlyReceipt>();
  return std::optional<EarlyReceipt>(
      EarlyReceipt{r->Int(0, 0) != 0, r->Text(0, 1), FromUnixMillis(r->Int(0, 2))});
}

Result<int> PostgresNotifyTx::PurgeBefore(Instant cutoff, int limit) {
  // Notifications another transaction holds are in use: skipped, purged by a later call. Once
  // held here nothing can give them a pending or waiting delivery again (that takes their
  // lock), so the second look, on a snapshot taken after the locks, is the one to trust.
  const std::string pick =
      "SELECT id FROM notifications n WHERE accepted_at < $1 AND NOT EXISTS (SELECT 1 FROM "
      "deliveries d WHERE d.notification_id = n.id AND d.status IN ('pending', 'waiting')) "
      "ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED";
  const Params params = {ToUnixMillis(cutoff), limit};
  auto first = Query(pick, params);
  if (!first.ok()) return first.status();
  std::set<std::int64_t> held;
  for (int i = 0; i < first->size(); ++i) held.insert(first->Int(i, 0));
  std::string ids;  // integers the database gave, so safe to put into the SQL text
  int purged = 0;
  if (!held.empty()) {
    auto second = Query(pick, params);
    if (!second.ok()) return second.status();
    for (int i = 0; i < second->size(); ++i) {
      if (!held.contains(second->Int(i, 0))) continue;
      ids += (ids.empty() ? "" : ",") + std::to_string(second->Int(i, 0));
      ++purged;
    }
  }
  if (purged > 0) {
    // One round trip, not prepared (the list differs every time). The csops_tx_locks rows of
    // the purged keys and sends go too, except those a transaction holds right now.
    const std::string in = "(" + ids + ")";
    CSOPS_RETURN_IF_ERROR(Exec(
        "INSERT INTO delivery_history(notification_id, position, kind, channel, status, "
        "accepted_at, sent_at) SELECT n.id, d.position, n.kind, d.channel, d.status, "
        "n.accepted_at, d.sent_at FROM notifications n JOIN deliveries d ON d.notification_id = "
        "n.id WHERE n.id IN " +
        in +
        " ON CONFLICT DO NOTHING; "
        "DELETE FROM csops_tx_locks WHERE scope = 'provider_message' AND key IN (SELECT l.key "
        "FROM csops_tx_locks l JOIN deliveries d ON l.key = d.provider || '/' || "
        "d.provider_message_id WHERE l.scope = 'provider_message' AND d.provider_message_id <> "
        "'' AND d.notification_id IN " +
        in +
        " FOR UPDATE OF l SKIP LOCKED); "
        "DELETE FROM csops_tx_locks WHERE scope = 'notification_key' AND key IN (SELECT l.key "
        "FROM csops_tx_locks l JOIN notifications n ON l.key = n.idempotency_key WHERE "
        "l.scope = 'notification_key' AND n.id IN " +
        in +
        " FOR UPDATE OF l SKIP LOCKED); "
        "DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM deliveries WHERE "
        "notification_id IN " +
        in + "); DELETE FROM deliveries WHERE notification_id IN " + in +
        "; DELETE FROM notifications WHERE id IN " + in));
  }
  CSOPS_RETURN_IF_ERROR(Done(Run("DELETE FROM delivery_history WHERE accepted_at < $1",
                                 {ToUnixMillis(cutoff - std::chrono::hours(24 * kHistoryDays))})));
  return purged;
}

Result<std::map<std::string, std::int64_t>> PostgresNotifyTx::QueueDepth() {
  auto r = Query(
      "SELECT channel, COUNT(*) FROM deliveries WHERE status IN ('pending', 'waiting') "
      "GROUP BY channel",
      {});
  if (!r.ok()) return r.status();
  std::map<std::string, std::int64_t> out;
  for (int i = 0; i < r->size(); ++i) out[r->Text(i, 0)] = r->Int(i, 1);
  return out;
}

Result<std::vector<NoticeRow>> PostgresNotifyTx::NoticeRows(Instant from, Instant to) {
  auto r = Query(
      "SELECT n.id, n.kind, d.channel, d.status, n.accepted_at, d.sent_at, d.position FROM "
      "notifications n JOIN deliveries d ON d.notification_id = n.id WHERE n.accepted_at >= $1 "
      "AND n.accepted_at < $2 UNION ALL SELECT notification_id, kind, channel, status, "
      "accepted_at, sent_at, position FROM delivery_history WHERE accepted_at >= $1 AND "
      "accepted_at < $2 ORDER BY 1, 7",
      {ToUnixMillis(from), ToUnixMillis(to)});
  if (!r.ok()) return r.status();
  std::vector<NoticeRow> out;
  out.reserve(static_cast<std::size_t>(r->size()));
  for (int i = 0; i < r->size(); ++i) {
    NoticeRow row;
    row.notification_id = r->Int(i, 0);
    row.kind = r->Text(i, 1);
    auto ch = ParseChannel(r->Text(i, 2));
    auto status = ParseDeliveryStatus(r->Text(i, 3));
    if (!ch || !status)
      return Status::Internal("delivery of notification " + std::to_string(row.notification_id) +
                              ": unknown channel '" + r->Text(i, 2) + "' or status '" +
                              r->Text(i, 3) + "'");
    row.channel = *ch;
    row.status = *status;
    row.accepted_at = FromUnixMillis(r->Int(i, 4));
    row.sent_at = OptInstant(*r, i, 5);
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace pgstore

void PostgresNotifyStore::Transact(std::function<Status(NotifyTx&)> fn,
                                   std::function<void(const Status&)> done) {
  db_.Transact(
      [this, fn = std::move(fn)](Connection& c) {
        pgstore::PostgresNotifyTx tx(c, /*locking=*/true, replica_);
        Status s = fn(tx);
        // fn may have taken a failed statement for an answer; PostgreSQL rolls back anyway.
        if (s.ok() && !tx.first_failure().ok()) return tx.first_failure();
        return s;
      },
      std::move(done));
}

Status PostgresNotifyStore::Read(const std::function<Status(NotifyTx&)>& fn) {
  return db_.Read([this, &fn](Connection& c) {
    pgstore::PostgresNotifyTx tx(c, /*locking=*/false, replica_);
    Status s = fn(tx);
    if (s.ok() && !tx.first_failure().ok()) return tx.first_failure();
    return s;
  });
}

}  // namespace csops::notify

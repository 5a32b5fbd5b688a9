// The notify store's schema steps (PRAGMA user_version migrations), apart from its queries.
#include <nlohmann/json.hpp>

#include "services/notify/store/sqlite/sqlite_notify_store.h"
namespace csops::notify {

using sqlite::Connection;
using sqlite::Statement;

std::vector<sqlite::Migration> SqliteNotifyStore::Migrations() {
  return {{1, "notifications, deliveries, attempts, receipts, preferences", R"sql(
CREATE TABLE notifications(
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,  -- kept at least notify.key_retention_days
  kind TEXT NOT NULL,
  locale TEXT NOT NULL,
  customer_number TEXT NOT NULL,
  recipient TEXT NOT NULL,               -- JSON; personal data
  variables TEXT NOT NULL,               -- JSON object of strings
  urgent INTEGER NOT NULL,
  fallback INTEGER NOT NULL,
  accepted_at INTEGER NOT NULL,          -- UTC ms
  plan_key TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notifications_customer ON notifications(customer_number, id)
  WHERE customer_number != '';
CREATE TABLE deliveries(
  id INTEGER PRIMARY KEY,
  notification_id INTEGER NOT NULL REFERENCES notifications(id),
  position INTEGER NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,                  -- pending, sent, delivered, failed, cancelled, waiting
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,      -- due instant, or the end of a worker's lease
  provider TEXT NOT NULL DEFAULT '',
  provider_message_id TEXT NOT NULL DEFAULT '',
  last_error TEXT NOT NULL DEFAULT '',
  sent_at INTEGER,
  leased INTEGER NOT NULL DEFAULT 0,     -- 1 while a worker holds it (next_attempt_at = lease end)
  UNIQUE(notification_id, position)
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_provider_id ON deliveries(provider, provider_message_id)
  WHERE provider_message_id != '';
CREATE TABLE attempts(
  id INTEGER PRIMARY KEY,
  delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
  at INTEGER NOT NULL,
  channel TEXT NOT NULL,
  provider TEXT NOT NULL,
  result TEXT NOT NULL,                  -- ok, transient, permanent
  provider_message_id TEXT NOT NULL,
  latency_ms INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX attempts_delivery ON attempts(delivery_id, id);
-- Receipts that arrived before the send they report on was recorded.
CREATE TABLE early_receipts(
  provider TEXT NOT NULL,
  provider_message_id TEXT NOT NULL,
  delivered INTEGER NOT NULL,
  detail TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY(provider, provider_message_id)
);
CREATE TABLE preferences(
  customer_number TEXT PRIMARY KEY,
  opted_out TEXT NOT NULL,               -- comma list of channels
  quiet_start INTEGER,                   -- minutes after local midnight
  quiet_end INTEGER
);
CREATE TABLE plan_runs(
  plan TEXT NOT NULL,
  key TEXT NOT NULL,
  status TEXT NOT NULL,                  -- running, stopped, finished
  recipient TEXT NOT NULL,               -- JSON; personal data
  locale TEXT NOT NULL,
  variables TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  stop_reason TEXT NOT NULL DEFAULT '',
  PRIMARY KEY(plan, key)
);
CREATE TABLE plan_steps(
  plan TEXT NOT NULL,
  key TEXT NOT NULL,
  step_index INTEGER NOT NULL,
  name TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  status TEXT NOT NULL,                  -- pending, done, cancelled
  notification_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(plan, key, step_index)
);
CREATE INDEX plan_steps_due ON plan_steps(due_at) WHERE status = 'pending';
-- Staff tasks (cases in the case service) from plan steps, waiting for their relay.
CREATE TABLE plan_tasks(
  id INTEGER PRIMARY KEY,
  idempotency_key TEXT NOT NULL UNIQUE,
  case_type TEXT NOT NULL,
  branch_id TEXT NOT NULL,
  customer_number TEXT NOT NULL,
  name TEXT NOT NULL,                    -- personal data
  summary TEXT NOT NULL,
  relayed_at INTEGER,
  relay_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plan_tasks_pending ON plan_tasks(id) WHERE relayed_at IS NULL;
-- App installations FCM reported as gone; never sent to again.
CREATE TABLE pruned_tokens(
  token TEXT PRIMARY KEY,
  pruned_at INTEGER NOT NULL
);
)sql"},
          {2, "notice report: notifications by acceptance instant, purged deliveries kept", R"sql(
CREATE INDEX notifications_accepted ON notifications(accepted_at);
-- What the notice report needs of a delivery whose notification the key retention purged
-- (no personal data); kept 400 days after acceptance.
CREATE TABLE delivery_history(
  notification_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  status TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  sent_at INTEGER,
  PRIMARY KEY(notification_id, accepted_at, position)  -- ids of purged rows may come again
);
CREATE INDEX delivery_history_accepted ON delivery_history(accepted_at);
)sql"},
          {3, "idempotency: the fingerprint of each accepted request", R"sql(
-- SHA-256 of the request as accepted (send_fingerprint.h): the same key with a different
-- request is refused. Rows accepted before this step keep '' and are compared on the fields
-- they store.
ALTER TABLE notifications ADD COLUMN request_fingerprint TEXT NOT NULL DEFAULT '';
)sql"}};
}

}  // namespace csops::notify

// The queue store's schema steps (PRAGMA user_version migrations), apart from its queries.
#include "services/queue/store/sqlite/sqlite_queue_store.h"

namespace csops::queue {

std::vector<sqlite::Migration> SqliteQueueStore::Migrations() {
  return {{1, "tickets, events, counters, service days, near-turn outbox", R"sql(
CREATE TABLE tickets(
  id INTEGER PRIMARY KEY,
  branch_id TEXT NOT NULL,
  business_day TEXT NOT NULL,
  number INTEGER NOT NULL,
  display TEXT NOT NULL,
  origin_service TEXT NOT NULL,
  service_code TEXT NOT NULL,
  state TEXT NOT NULL,
  qclass INTEGER NOT NULL,              -- 0 transferred, 1 priority/accessible, 2 normal
  priority TEXT NOT NULL,
  channel TEXT NOT NULL,
  issued_at INTEGER NOT NULL,           -- UTC ms
  queued_at INTEGER NOT NULL,
  first_called_at INTEGER,
  called_at INTEGER,
  serving_at INTEGER,
  finished_at INTEGER,
  counter_id TEXT NOT NULL DEFAULT '',
  calls INTEGER NOT NULL DEFAULT 0,
  transferred INTEGER NOT NULL DEFAULT 0,
  transfer_note TEXT NOT NULL DEFAULT '',
  reserved_counter TEXT NOT NULL DEFAULT '',
  contact_kind TEXT NOT NULL DEFAULT 'none',
  contact_address TEXT NOT NULL DEFAULT '',
  near_notified INTEGER NOT NULL DEFAULT 0,
  estimated_wait_ms INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT,
  request_fingerprint TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT 'none',
  rating INTEGER NOT NULL DEFAULT 0,
  UNIQUE(branch_id, business_day, display)
);
CREATE UNIQUE INDEX tickets_idempotency ON tickets(branch_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- Partial indexes: a ticket is in each only while the state needs it, so finished history
-- costs nothing to maintain.
CREATE INDEX tickets_line ON tickets(branch_id, business_day, service_code, qclass, queued_at, id)
  WHERE state = 'waiting';
CREATE INDEX tickets_held ON tickets(branch_id, business_day, counter_id)
  WHERE state IN ('called', 'serving');

CREATE TABLE ticket_events(
  id INTEGER PRIMARY KEY,
  ticket_id INTEGER NOT NULL REFERENCES tickets(id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT NOT NULL,
  counter_id TEXT NOT NULL DEFAULT '',
  service_code TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);

CREATE TABLE service_days(
  branch_id TEXT NOT NULL,
  business_day TEXT NOT NULL,
  service_code TEXT NOT NULL,
  last_number INTEGER NOT NULL DEFAULT 0,
  waiting INTEGER NOT NULL DEFAULT 0,
  last_called TEXT NOT NULL DEFAULT '',
  avg_service_ms REAL NOT NULL DEFAULT 0,
  service_samples INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(branch_id, business_day, service_code)
);

CREATE TABLE counters(
  branch_id TEXT NOT NULL,
  counter_id TEXT NOT NULL,
  state TEXT NOT NULL,
  staff_id TEXT NOT NULL DEFAULT '',
  services TEXT NOT NULL,               -- comma list in serving order
  priority_streak INTEGER NOT NULL DEFAULT 0,
  changed_at INTEGER NOT NULL,
  PRIMARY KEY(branch_id, counter_id)
);

CREATE TABLE near_turn_outbox(
  id INTEGER PRIMARY KEY,
  branch_id TEXT NOT NULL,
  ticket_id INTEGER NOT NULL UNIQUE REFERENCES tickets(id),
  ticket_display TEXT NOT NULL,
  business_day TEXT NOT NULL,
  people_ahead INTEGER NOT NULL,
  contact_kind TEXT NOT NULL,
  contact_address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
)sql"},
          {2, "near-turn outbox relay state", R"sql(
-- delivered_at: when the relay handed the notice to the notify service (or it was refused).
ALTER TABLE near_turn_outbox ADD COLUMN relay_error TEXT NOT NULL DEFAULT '';
CREATE INDEX near_turn_outbox_pending ON near_turn_outbox(id) WHERE delivered_at IS NULL;
)sql"},
          {3, "tickets by issue instant (for the visit report)", R"sql(
CREATE INDEX tickets_issued ON tickets(issued_at);
CREATE INDEX tickets_called ON tickets(branch_id, business_day, called_at)
  WHERE called_at IS NOT NULL;
)sql"}};
}

}  // namespace csops::queue

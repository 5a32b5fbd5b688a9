// The case store's schema steps (PRAGMA user_version migrations), apart from its queries.
#include <sstream>

#include "services/case/domain/acceptance_number.h"
#include "services/case/store/sqlite/sqlite_case_store.h"
namespace csops::cases {

using sqlite::Connection;
using sqlite::Statement;

std::vector<sqlite::Migration> SqliteCaseStore::Migrations(const LookupSecret& secret) {
  return {{1, "cases, status periods, targets, history, outbox", R"sql(
CREATE TABLE cases(
  id INTEGER PRIMARY KEY,
  acceptance_number TEXT NOT NULL UNIQUE,
  branch_id TEXT NOT NULL,
  business_day TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  type_code TEXT NOT NULL,
  status TEXT NOT NULL,
  received_via TEXT NOT NULL,
  summary TEXT NOT NULL,
  applicant_name TEXT NOT NULL,       -- personal data from here ...
  customer_number TEXT NOT NULL,
  phone TEXT NOT NULL,
  email TEXT NOT NULL,
  channels TEXT NOT NULL,             -- comma list, in preference order
  locale TEXT NOT NULL,               -- ... to here
  lookup_salt TEXT NOT NULL,
  lookup_hash TEXT NOT NULL,          -- SHA-256 of salt + code; the code is never stored
  accepted_at INTEGER NOT NULL,       -- UTC ms
  first_reply_at INTEGER,
  closed_at INTEGER,
  delay_reason TEXT NOT NULL DEFAULT '',
  delay_new_date TEXT NOT NULL DEFAULT '',
  assignee_department TEXT NOT NULL DEFAULT '',
  assignee_staff TEXT NOT NULL DEFAULT '',
  resolution_ms INTEGER,              -- working time accepted -> closed, set when closed
  within_sla INTEGER,                 -- 1 if every completion target was met at closing
  idempotency_key TEXT UNIQUE,
  request_fingerprint TEXT NOT NULL,
  UNIQUE(branch_id, business_day, sequence)
);
CREATE INDEX cases_closed ON cases(closed_at) WHERE closed_at IS NOT NULL;
CREATE TABLE case_days(
  branch_id TEXT NOT NULL,
  business_day TEXT NOT NULL,
  last_sequence INTEGER NOT NULL,
  PRIMARY KEY(branch_id, business_day)
);
-- Time spent in statuses that can pause SLA targets (in_progress, waiting_customer).
CREATE TABLE case_periods(
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  status TEXT NOT NULL,
  begin_at INTEGER NOT NULL,
  end_at INTEGER
);
CREATE INDEX case_periods_case ON case_periods(case_id, begin_at);
CREATE TABLE case_targets(
  case_id INTEGER NOT NULL REFERENCES cases(id),
  name TEXT NOT NULL,
  due_at INTEGER,                     -- null while a pause before it is open
  stopped_at INTEGER,
  PRIMARY KEY(case_id, name)
);
CREATE INDEX case_targets_due ON case_targets(due_at) WHERE stopped_at IS NULL;
CREATE TABLE case_history(
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  kind TEXT NOT NULL,
  from_status TEXT,
  to_status TEXT,
  note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_history_case ON case_history(case_id, id);
CREATE TABLE case_outbox(
  id INTEGER PRIMARY KEY,
  case_id INTEGER NOT NULL REFERENCES cases(id),
  kind TEXT NOT NULL,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  delivered_at INTEGER
);
-- Each SLA event (warning_<percent>, breach, met, missed) fires once per case and target.
CREATE TABLE case_sla_events(
  case_id INTEGER NOT NULL REFERENCES cases(id),
  target TEXT NOT NULL,
  event TEXT NOT NULL,
  due_at INTEGER NOT NULL,            -- the instant it was scheduled for
  fired_at INTEGER NOT NULL,
  late INTEGER NOT NULL,              -- fired more than 1 s after due_at (e.g. csopsd was down)
  PRIMARY KEY(case_id, target, event)
);
-- Look-up codes kept only to answer a retried CreateCase; purged when they expire.
CREATE TABLE case_create_replies(
  case_id INTEGER PRIMARY KEY REFERENCES cases(id),
  lookup_code TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
)sql"},
          {2, "stored next SLA event and state per case", R"sql(
-- What the case's last commit computed; start-up arms the timers from next_event_at alone.
-- Both stay NULL for cases written by version 1 until start-up computes them.
ALTER TABLE cases ADD COLUMN next_event_at INTEGER;  -- UTC ms of the next pending SLA event
ALTER TABLE cases ADD COLUMN sla_state TEXT;         -- most urgent state of its targets
CREATE INDEX cases_next_event ON cases(next_event_at, acceptance_number)
  WHERE next_event_at IS NOT NULL;
CREATE INDEX cases_open_state ON cases(type_code, sla_state, branch_id) WHERE closed_at IS NULL;
-- Every CreateCase purges expired replies; without this that is a scan of the whole table.
CREATE INDEX case_create_replies_expiry ON case_create_replies(expires_at);
)sql"},
          {3, "outbox relay state", R"sql(
-- delivered_at: when the relay handed the row to the notify service (or it was refused).
ALTER TABLE case_outbox ADD COLUMN relay_error TEXT NOT NULL DEFAULT '';
CREATE INDEX case_outbox_pending ON case_outbox(id) WHERE delivered_at IS NULL;
)sql"},
          {4, "delay declarations by instant (for the SLA report)", R"sql(
CREATE INDEX case_history_delays ON case_history(at) WHERE kind = 'delay';
)sql"},
          SlaEventLogMigration(5),
          {6, "look-up codes kept nowhere; verifiers under the secret", R"sql(
-- Identifies the key of case-lookup.key (LookupSecretCheck), so start-up refuses another one.
CREATE TABLE case_lookup_secret(
  id INTEGER PRIMARY KEY CHECK(id = 1),
  secret_check TEXT NOT NULL
);
)sql",
           [secret](Connection& c) { return UpgradeLookupVerifiers(c, secret); }}};
}

// The SLA event log's cursors (WatchSlaEvents resumes from one). Events recorded before this
// step keep their insertion order (rowid); every new one gets the next cursor from the trigger,
// whoever inserts it. The cursor is a column of its own because SQLite may renumber the rowids
// of a table without an INTEGER PRIMARY KEY (VACUUM), and a cursor must never change.
sqlite::Migration SqliteCaseStore::SlaEventLogMigration(int version) {
  return {version, "SLA event cursors", R"sql(
ALTER TABLE case_sla_events ADD COLUMN cursor INTEGER;
UPDATE case_sla_events SET cursor = rowid;
CREATE UNIQUE INDEX case_sla_events_cursor ON case_sla_events(cursor);
CREATE TRIGGER case_sla_events_cursor AFTER INSERT ON case_sla_events
WHEN NEW.cursor IS NULL BEGIN
  UPDATE case_sla_events
     SET cursor = (SELECT COALESCE(MAX(cursor), 0) + 1 FROM case_sla_events)
   WHERE rowid = NEW.rowid;
END;
)sql"};
}

}  // namespace csops::cases

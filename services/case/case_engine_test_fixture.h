// The CaseEngine tests' fixture: an engine on a fake clock over a fresh SQLite store, with the
// shipped case types. Shared by case_engine_test.cc (commands, queries) and
// case_engine_sla_test.cc (SLA firing and recompute).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/base/testutil.h"
#include "common/config/calendar_file.h"
#include "services/case/case_engine.h"
#include "services/case/case_test_util.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/sla_scheduler.h"
#include "services/case/store/sqlite/sqlite_case_store.h"

namespace csops::cases {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class CaseEngineTest : public ::testing::Test {
 protected:
  CaseEngineTest() : clock_(Taipei(2026, 2, 12, 16, 0)) {
    auto cal = LoadCalendarFile(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto");
    EXPECT_OK(cal.status());
    CaseConfig config;
    TargetModel hours16{"response", {SlaLength::Unit::kBusinessMinutes, 16 * 60}};
    TargetModel days3{"resolution", {SlaLength::Unit::kWorkingDays, 3}};
    config.types["application"] = {"application", "用電申請", "Application", {hours16, days3}, 30};
    TargetModel first_reply{"first_reply", {SlaLength::Unit::kBusinessMinutes, 72 * 60}};
    first_reply.always = true;
    first_reply.stop = SlaStopKind::kFirstReply;
    config.types["complaint"] = {"complaint", "陳情", "Complaint", {first_reply, days3}, 30};
    config.branches["taipei-south"] = {"taipei-south", "TS",
                                       std::make_shared<const BusinessCalendar>(std::move(*cal))};
    sqlite::DatabaseOptions o;
    o.path = dir_.path() + "/case.db";
    o.synchronous = sqlite::Synchronous::kNormal;
    o.migrations = SqliteCaseStore::Migrations(TestSecret());
    auto db = sqlite::Database::Open(o);
    EXPECT_OK(db.status());
    db_ = std::move(*db);
    store_ = std::make_unique<SqliteCaseStore>(*db_);
    engine_ = std::make_unique<CaseEngine>(clock_, std::move(config), *store_,
                                           "https://csops.example", TestSecret());
  }

  Result<CreatedCase> Create(std::string key = "k1", std::string summary = "new meter",
                             std::string type = "application") {
    CreateCaseCommand c{type,
                        "taipei-south",
                        {"王小明",
                         "01234567890",
                         "0912345678",
                         "ming@example.com",
                         {NoticeChannel::kEmail},
                         "zh-TW"},
                        "counter",
                        summary,
                        "E0042",
                        key};
    return Await<CreatedCase>([&](auto done) { engine_->Create(c, done); });
  }
  Result<CaseView> Move(const std::string& n, CaseStatus to, std::string note = "") {
    return Await<CaseView>([&](auto done) { engine_->Transition(n, to, "E0042", note, done); });
  }
  // The store's rows, read through the CaseStore interface (what any store must give back).
  std::vector<PendingOutboxRow> Outbox() {
    std::vector<PendingOutboxRow> out;
    EXPECT_OK(store_->Read([&](CaseTx& tx) -> Status {
      auto rows = tx.PendingOutbox(1000);  // nothing relays here: every row is pending
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  }
  std::int64_t CountOutbox(const std::string& kind) {
    auto rows = Outbox();
    return std::count_if(rows.begin(), rows.end(),
                         [&](const PendingOutboxRow& r) { return r.kind == kind; });
  }
  std::optional<CaseRecord> Record(const std::string& number) {
    std::optional<CaseRecord> out;
    EXPECT_OK(store_->Read([&](CaseTx& tx) -> Status {
      auto found = tx.FindByNumber(number);
      if (!found.ok()) return found.status();
      out = std::move(*found);
      return Status();
    }));
    return out;
  }
  // The SLA event log, as WatchSlaEvents reads it.
  std::int64_t CountEvents(const std::function<bool(const SlaEvent&)>& match) {
    auto log = engine_->SlaEventsAfter(0, "", "", 1000);
    EXPECT_OK(log.status());
    if (!log.ok()) return -1;
    return std::count_if(log->events.begin(), log->events.end(), match);
  }
  std::int64_t CountEvents(const std::string& target, const std::string& event = "") {
    return CountEvents([&](const SlaEvent& e) {
      return (target.empty() || e.target == target) && (event.empty() || e.event == event);
    });
  }
  // Acceptance numbers of the cases with `next` stored as their next SLA event.
  std::set<std::string> ScheduledAt(Instant next) {
    std::set<std::string> out;
    auto pending = engine_->PendingEvents();
    EXPECT_OK(pending.status());
    if (pending.ok())
      for (const auto& [number, at] : *pending)
        if (at == next) out.insert(number);
    return out;
  }
  // Registers an "application" case as csopsd did before schema 2: the commit stored neither
  // the case's next SLA event nor its SLA state (nor its targets' due instants).
  std::string InsertWithoutSlaSummary(const std::string& key) {
    std::string number;
    std::promise<Status> committed;
    store_->Transact(
        [&](CaseTx& tx) -> Status {
          const absl::CivilDay day(2026, 2, 12);
          auto seq = tx.TakeSequence("taipei-south", "2026-02-12");
          if (!seq.ok()) return seq.status();
          CaseRecord c;
          c.acceptance_number = MakeAcceptanceNumber("TS", day, *seq)->Compact();
          c.branch_id = "taipei-south";
          c.business_day = "2026-02-12";
          c.sequence = *seq;
          c.type_code = "application";
          c.received_via = "counter";
          c.summary = "new meter";
          c.applicant = {"王小明", "", "", "", {}, "zh-TW"};
          c.accepted_at = clock_.Now();
          c.idempotency_key = key;
          auto id = tx.InsertCase(c);
          if (!id.ok()) return id.status();
          number = c.acceptance_number;
          return tx.AppendHistory(*id, {clock_.Now(), "staff:E0042", history_kind::kCreated,
                                        std::nullopt, CaseStatus::kAccepted, ""});
        },
        [&](const Status& st) { committed.set_value(st); });
    EXPECT_OK(committed.get_future().get());
    return number;
  }

  TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<sqlite::Database> db_;  // under store_; tests read through store_ and engine_
  std::unique_ptr<SqliteCaseStore> store_;
  std::unique_ptr<CaseEngine> engine_;
};

}  // namespace
}  // namespace csops::cases

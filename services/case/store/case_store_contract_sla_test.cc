// The CaseStore contract suite, continued (case_store_contract.h): the outbox, the SLA event
// log with its cursors, and the stored SLA summaries and target instants that arm the timers
// and give the open-case counts.
#include <algorithm>
#include <map>
#include <tuple>

#include "common/base/testutil.h"
#include "services/case/store/case_store_contract.h"

namespace csops::cases {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST_P(CaseStoreContract, OutboxRowsStayPendingOldestFirstUntilRelayed) {
  CaseRecord keyed = NewCase(1, "create-1"), unkeyed = NewCase(2, "", "south");
  unkeyed.applicant.locale = "zh-TW";
  ASSERT_GT(Insert(keyed), 0);
  ASSERT_GT(Insert(unkeyed), 0);
  const Instant t = Taipei(2026, 2, 12, 16, 0);
  const std::vector<OutboxRow> rows = {
      {keyed.id, outbox_kind::kAccepted, NoticeChannel::kEmail, "ming@example.com",
       R"({"acceptance_number":"x","type":"用電申請"})", t},
      {unkeyed.id, outbox_kind::kSlaBreach, NoticeChannel::kNone, "supervisors:south",
       R"({"acceptance_number":"y","target":"response","event":"breach"})", t},
      {keyed.id, outbox_kind::kDelay, NoticeChannel::kSms, "0912345678", "{}", t + minutes(1)},
  };
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    for (const OutboxRow& r : rows) CSOPS_RETURN_IF_ERROR(tx.InsertOutbox(r));
    return Status();
  }));
  std::vector<PendingOutboxRow> pending;
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto p = tx.PendingOutbox(10);
    if (!p.ok()) return p.status();
    pending = std::move(*p);
    return Status();
  }));
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_LT(pending[0].id, pending[1].id);
  EXPECT_LT(pending[1].id, pending[2].id);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const CaseRecord& c = rows[i].case_id == keyed.id ? keyed : unkeyed;
    EXPECT_EQ(pending[i].acceptance_number, c.acceptance_number) << i;
    EXPECT_EQ(pending[i].branch_id, c.branch_id) << i;
    EXPECT_EQ(pending[i].locale, c.applicant.locale) << i;
    EXPECT_EQ(pending[i].idempotency_key, c.idempotency_key) << i;  // "" for none
    EXPECT_EQ(pending[i].kind, rows[i].kind) << i;
    EXPECT_EQ(pending[i].channel, rows[i].channel) << i;
    EXPECT_EQ(pending[i].recipient, rows[i].recipient) << i;
    EXPECT_EQ(pending[i].payload, rows[i].payload) << i;
  }
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto two = tx.PendingOutbox(2);
    if (!two.ok()) return two.status();
    EXPECT_EQ(two->size(), 2u);
    if (two->size() == 2) {
      EXPECT_EQ(two->back().id, pending[1].id);
    }
    return Status();
  }));
  // Relayed (or refused) rows are done with; marking one again changes nothing.
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.MarkOutboxRelayed(pending[1].id, t + hours(1), ""));
    return tx.MarkOutboxRelayed(pending[0].id, t + hours(1), "no supervisor e-mail configured");
  }));
  ASSERT_OK(
      Write([&](CaseTx& tx) { return tx.MarkOutboxRelayed(pending[1].id, t + hours(2), ""); }));
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto left = tx.PendingOutbox(10);
    if (!left.ok()) return left.status();
    EXPECT_EQ(left->size(), 1u);
    if (left->size() == 1) {
      EXPECT_EQ(left->front().id, pending[2].id);
    }
    return Status();
  }));
}

TEST_P(CaseStoreContract, EachSlaEventRecordsOnceAndGetsTheNextCursor) {
  CaseRecord a = NewCase(1, "a"), b = NewCase(2, "b", "south", "complaint");
  ASSERT_GT(Insert(a), 0);
  ASSERT_GT(Insert(b), 0);
  const Instant due = Taipei(2026, 2, 13, 16, 0);
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto newest = tx.NewestSlaEventCursor();
    if (!newest.ok()) return newest.status();
    EXPECT_EQ(*newest, 0);  // before the first
    auto none = tx.SlaEventCursor(a.id, "response", "warning_50");
    EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
    return Status();
  }));
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    auto first = tx.RecordSlaEvent(a.id, "response", "warning_50", due, due, false);
    if (!first.ok()) return first.status();
    EXPECT_TRUE(*first);
    auto again = tx.RecordSlaEvent(a.id, "response", "warning_50", due, due + hours(1), true);
    if (!again.ok()) return again.status();
    EXPECT_FALSE(*again);  // fires once, ever
    auto second = tx.RecordSlaEvent(b.id, "response", "warning_50", due, due + hours(2), true);
    if (!second.ok()) return second.status();
    EXPECT_TRUE(*second);
    return Status();
  }));
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    auto again = tx.RecordSlaEvent(a.id, "response", "warning_50", due, due, false);
    if (!again.ok()) return again.status();
    EXPECT_FALSE(*again);  // nor in a later transaction
    auto third = tx.RecordSlaEvent(a.id, "resolution", "met", due + hours(3), due, false);
    if (!third.ok()) return third.status();
    EXPECT_TRUE(*third);
    return Status();
  }));
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    std::vector<std::int64_t> cursors;
    for (auto [id, target, event] :
         {std::tuple{a.id, "response", "warning_50"}, std::tuple{b.id, "response", "warning_50"},
          std::tuple{a.id, "resolution", "met"}}) {
      auto cursor = tx.SlaEventCursor(id, target, event);
      if (!cursor.ok()) return cursor.status();
      cursors.push_back(*cursor);
    }
    EXPECT_EQ(cursors, (std::vector<std::int64_t>{1, 2, 3}));
    auto newest = tx.NewestSlaEventCursor();
    if (!newest.ok()) return newest.status();
    EXPECT_EQ(*newest, 3);
    auto fired = tx.FiredSlaEvents(a.id);
    if (!fired.ok()) return fired.status();
    std::sort(fired->begin(), fired->end());
    EXPECT_EQ(*fired, (std::vector<std::string>{SlaEventKey("resolution", "met"),
                                                SlaEventKey("response", "warning_50")}));
    return Status();
  }));
}

TEST_P(CaseStoreContract, TheSlaEventLogPagesByCursorAndFiltersByBranchAndType) {
  CaseRecord a = NewCase(1, "a"), b = NewCase(2, "b", "south", "complaint");
  ASSERT_GT(Insert(a), 0);
  ASSERT_GT(Insert(b), 0);
  const Instant due = Taipei(2026, 2, 13, 16, 0);
  struct Fired {
    const CaseRecord* c;
    std::string target, event;
    Instant due, fired;
    bool late;
  };
  const std::vector<Fired> log = {
      {&a, "response", "warning_50", due, due, false},
      {&b, "response", "warning_50", due, due + minutes(90), true},
      {&a, "response", "breach", due + hours(4), due + hours(4), false},
      {&b, "response", "missed", due + hours(5), due + hours(6), false},
  };
  for (const Fired& f : log)  // one commit each, so cursor order is this order
    ASSERT_OK(Write([&](CaseTx& tx) {
      return tx.RecordSlaEvent(f.c->id, f.target, f.event, f.due, f.fired, f.late).status();
    }));
  auto page = [&](std::int64_t after, const std::string& branch, const std::string& type,
                  int limit) {
    std::vector<SlaEventRow> out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.SlaEventsAfter(after, branch, type, limit);
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  };
  auto all = page(0, "", "", 100);
  ASSERT_EQ(all.size(), log.size());
  for (std::size_t i = 0; i < log.size(); ++i) {
    EXPECT_EQ(all[i].cursor, static_cast<std::int64_t>(i + 1)) << i;
    EXPECT_EQ(all[i].acceptance_number, log[i].c->acceptance_number) << i;
    EXPECT_EQ(all[i].type_code, log[i].c->type_code) << i;
    EXPECT_EQ(all[i].branch_id, log[i].c->branch_id) << i;
    EXPECT_EQ(all[i].target, log[i].target) << i;
    EXPECT_EQ(all[i].event, log[i].event) << i;
    EXPECT_EQ(all[i].due_at, log[i].due) << i;
    EXPECT_EQ(all[i].fired_at, log[i].fired) << i;
    EXPECT_EQ(all[i].late, log[i].late) << i;
  }
  auto after1 = page(1, "", "", 2);  // a page of two after cursor 1
  ASSERT_EQ(after1.size(), 2u);
  EXPECT_EQ(after1[0].cursor, 2);
  EXPECT_EQ(after1[1].cursor, 3);
  auto south = page(0, "south", "", 100);
  ASSERT_EQ(south.size(), 2u);
  EXPECT_EQ(south[0].cursor, 2);
  EXPECT_EQ(south[1].cursor, 4);
  auto applications = page(1, "", "application", 100);
  ASSERT_EQ(applications.size(), 1u);
  EXPECT_EQ(applications[0].cursor, 3);
  EXPECT_TRUE(page(0, "north", "complaint", 100).empty());
  EXPECT_TRUE(page(4, "", "", 100).empty());
}

TEST_P(CaseStoreContract, StoredSlaSummariesArmTimersAndCountOpenCases) {
  CaseRecord warned = NewCase(1, "w"), breached = NewCase(2, "b"), legacy = NewCase(3, "l"),
             other = NewCase(4, "o", "south", "complaint"), closed = NewCase(5, "c");
  for (CaseRecord* c : {&warned, &breached, &legacy, &other, &closed}) ASSERT_GT(Insert(*c), 0);
  const Instant next = Taipei(2026, 2, 23, 11, 45);
  closed.status = CaseStatus::kCompleted;
  closed.closed_at = Taipei(2026, 2, 13, 9, 0);
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(warned.id, next, SlaState::kWarning));
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(breached.id, std::nullopt, SlaState::kBreached));
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(other.id, next + hours(1), SlaState::kOnTrack));
    CSOPS_RETURN_IF_ERROR(tx.SaveCase(closed));
    return tx.SaveSlaSummary(closed.id, std::nullopt, SlaState::kOnTrack);
  }));
  auto open_after = [&](std::int64_t after, int limit, bool all) {
    std::vector<CaseRecord> out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.OpenCasesAfter(after, limit, all);
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  };
  // Only the case whose commits stored no summary (written before schema 2), unless all.
  EXPECT_EQ(Numbers(open_after(0, 100, false)), Numbers({legacy}));
  EXPECT_EQ(Numbers(open_after(0, 100, true)), Numbers({warned, breached, legacy, other}));
  EXPECT_EQ(Numbers(open_after(warned.id, 2, true)), Numbers({breached, legacy}));
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto scheduled = tx.ScheduledEvents();
    if (!scheduled.ok()) return scheduled.status();
    std::sort(scheduled->begin(), scheduled->end());
    std::vector<std::pair<std::string, Instant>> want = {
        {warned.acceptance_number, next}, {other.acceptance_number, next + hours(1)}};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(*scheduled, want);
    return Status();
  }));
  ASSERT_OK(Write([&](CaseTx& tx) {  // start-up computed it
    return tx.SaveSlaSummary(legacy.id, std::nullopt, SlaState::kPaused);
  }));
  EXPECT_TRUE(open_after(0, 100, false).empty());
  auto counts = [&](const std::string& branch) {
    std::map<std::pair<std::string, SlaState>, std::int64_t> out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.CountOpen(branch);
      if (!rows.ok()) return rows.status();
      for (const CaseTx::OpenCount& n : *rows) out[{n.type_code, n.state}] += n.cases;
      return Status();
    }));
    return out;
  };
  using Counts = std::map<std::pair<std::string, SlaState>, std::int64_t>;
  EXPECT_EQ(counts(""), (Counts{{{"application", SlaState::kWarning}, 1},
                                {{"application", SlaState::kBreached}, 1},
                                {{"application", SlaState::kPaused}, 1},
                                {{"complaint", SlaState::kOnTrack}, 1}}));  // closed: not counted
  EXPECT_EQ(counts("south"), (Counts{{{"complaint", SlaState::kOnTrack}, 1}}));
}

TEST_P(CaseStoreContract, ScheduledEventsDuePagesTheDueCasesInInstantThenNumberOrder) {
  CaseRecord a = NewCase(1, "a"), b = NewCase(2, "b"), c = NewCase(3, "c"), later = NewCase(4, "l"),
             none = NewCase(5, "n");
  for (CaseRecord* r : {&a, &b, &c, &later, &none}) ASSERT_GT(Insert(*r), 0);
  const Instant t = Taipei(2026, 3, 2, 9, 0);
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(a.id, t, SlaState::kOnTrack));
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(b.id, t - hours(1), SlaState::kOnTrack));
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(c.id, t, SlaState::kWarning));
    CSOPS_RETURN_IF_ERROR(
        tx.SaveSlaSummary(later.id, t + std::chrono::milliseconds(1), SlaState::kOnTrack));
    return tx.SaveSlaSummary(none.id, std::nullopt, SlaState::kBreached);
  }));
  using Page = std::vector<std::pair<std::string, Instant>>;
  auto due = [&](Instant until, const std::pair<std::string, Instant>& after, int limit) {
    Page out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.ScheduledEventsDue(until, after, limit);
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  };
  // a and c share an instant: the number breaks the tie, so a page boundary between them
  // loses neither.
  const auto& [first, second] = std::minmax(a.acceptance_number, c.acceptance_number);
  const Page all = {{b.acceptance_number, t - hours(1)}, {first, t}, {second, t}};
  EXPECT_EQ(due(t, {"", Instant{}}, 10), all);
  EXPECT_EQ(due(t, {"", Instant{}}, 2), Page(all.begin(), all.begin() + 2));
  EXPECT_EQ(due(t, all[1], 2), Page(all.begin() + 2, all.end()));
  EXPECT_TRUE(due(t, all[2], 2).empty());
  EXPECT_EQ(due(t - hours(1), {"", Instant{}}, 10), Page(all.begin(), all.begin() + 1));
  EXPECT_EQ(due(t + hours(1), all[2], 10),
            (Page{{later.acceptance_number, t + std::chrono::milliseconds(1)}}));
}

TEST_P(CaseStoreContract, CountDueFromCountsUnstoppedTargetsOfOpenCasesDueFromAnInstant) {
  CaseRecord a = NewCase(1, "a"), b = NewCase(2, "b"), c = NewCase(3, "c", "north", "complaint"),
             elsewhere = NewCase(4, "e", "south"), closed = NewCase(5, "x");
  for (CaseRecord* r : {&a, &b, &c, &elsewhere, &closed}) ASSERT_GT(Insert(*r), 0);
  const Instant from = Taipei(2027, 1, 1, 0, 0);
  closed.status = CaseStatus::kRejected;
  closed.closed_at = Taipei(2026, 2, 13, 9, 0);
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(a.id, "response", from, std::nullopt));  // at: counted
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(a.id, "resolution", from - hours(1), std::nullopt));
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(b.id, "response", from + hours(9), std::nullopt));
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(b.id, "resolution", std::nullopt, std::nullopt));
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(c.id, "response", from + hours(1), from - hours(5)));
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(c.id, "resolution", from + hours(1), std::nullopt));
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(elsewhere.id, "response", from, std::nullopt));
    CSOPS_RETURN_IF_ERROR(tx.SaveCase(closed));
    return tx.SaveTarget(closed.id, "response", from, std::nullopt);
  }));
  using Counts = std::map<std::pair<std::string, std::string>, std::int64_t>;
  auto counts = [&](const std::string& branch) {
    Counts out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.CountDueFrom(branch, from);
      if (!rows.ok()) return rows.status();
      for (const CaseTx::DueAfterCount& n : *rows) out[{n.type_code, n.target}] += n.cases;
      return Status();
    }));
    return out;
  };
  EXPECT_EQ(counts("north"),
            (Counts{{{"application", "response"}, 2}, {{"complaint", "resolution"}, 1}}));
  EXPECT_EQ(counts("south"), (Counts{{{"application", "response"}, 1}}));
  // Saving a target again replaces its due and stopped instants.
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(a.id, "resolution", from + hours(2), std::nullopt));
    return tx.SaveTarget(a.id, "response", from, from - hours(1));
  }));
  EXPECT_EQ(counts("north"), (Counts{{{"application", "response"}, 1},
                                     {{"application", "resolution"}, 1},
                                     {{"complaint", "resolution"}, 1}}));
}

}  // namespace
}  // namespace csops::cases

// The CaseStore contract suite (case_store_contract.h): what the engine relies on from any store.
// Here the cases and what is kept with them (sequences, periods, history, delays), the case
// queries and rollback; the outbox, the SLA event log and the stored SLA summaries are in
// case_store_contract_sla_test.cc.
#include "services/case/store/case_store_contract.h"

#include <algorithm>
#include <future>

#include "common/base/testutil.h"

namespace csops::cases {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

TEST_P(CaseStoreContract, AnInsertedCaseReadsBackFieldForFieldByNumberAndByKey) {
  CaseRecord c = NewCase(1, "create-1");
  ASSERT_GT(Insert(c), 0);
  auto by_number = Find(c.acceptance_number);
  ASSERT_TRUE(by_number.has_value());
  ExpectSameCase(*by_number, c);
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto by_key = tx.FindByIdempotencyKey("create-1");
    if (!by_key.ok()) return by_key.status();
    EXPECT_TRUE(by_key->has_value());
    if (*by_key) {
      ExpectSameCase(**by_key, c);
    }
    auto unknown_key = tx.FindByIdempotencyKey("create-2");
    if (!unknown_key.ok()) return unknown_key.status();
    EXPECT_FALSE(unknown_key->has_value());
    auto unknown_number = tx.FindByNumber(NewCase(9, "").acceptance_number);
    if (!unknown_number.ok()) return unknown_number.status();
    EXPECT_FALSE(unknown_number->has_value());
    return Status();
  }));
  // A second case gets another id.
  CaseRecord d = NewCase(2, "create-2");
  ASSERT_GT(Insert(d), 0);
  EXPECT_NE(d.id, c.id);
}

TEST_P(CaseStoreContract, AnEmptyIdempotencyKeyIsNoKeyAndAUsedKeyOrNumberIsRefused) {
  CaseRecord a = NewCase(1, ""), b = NewCase(2, "");
  ASSERT_GT(Insert(a), 0);
  ASSERT_GT(Insert(b), 0);  // any number of cases without a key
  ExpectSameCase(*Find(b.acceptance_number), b);
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto none = tx.FindByIdempotencyKey("");
    if (!none.ok()) return none.status();
    EXPECT_FALSE(none->has_value());
    return Status();
  }));
  CaseRecord keyed = NewCase(3, "k");
  ASSERT_GT(Insert(keyed), 0);
  CaseRecord same_key = NewCase(4, "k");
  EXPECT_FALSE(Write([&](CaseTx& tx) { return tx.InsertCase(same_key).status(); }).ok());
  CaseRecord same_number = NewCase(3, "other");
  EXPECT_FALSE(Write([&](CaseTx& tx) { return tx.InsertCase(same_number).status(); }).ok());
  EXPECT_FALSE(Find(NewCase(4, "").acceptance_number).has_value());
  ExpectSameCase(*Find(keyed.acceptance_number), keyed);
}

TEST_P(CaseStoreContract, SaveCaseStoresWhatCommandsChangeAndClearsItAgain) {
  CaseRecord c = NewCase(1, "k");
  ASSERT_GT(Insert(c), 0);
  c.status = CaseStatus::kCompleted;
  c.first_reply_at = Taipei(2026, 2, 13, 9, 0);
  c.closed_at = Taipei(2026, 2, 13, 10, 0);
  c.delay_reason = "設備缺料";
  c.delay_new_date = "2026-03-10";
  c.assignee_department = "business";
  c.assignee_staff = "E0007";
  c.resolution_ms = 3 * 3600 * 1000;
  c.within_sla = false;  // false is a value, not "unset"
  ASSERT_OK(Write([&](CaseTx& tx) { return tx.SaveCase(c); }));
  ExpectSameCase(*Find(c.acceptance_number), c);
  // Reopened: closing fields cleared.
  c.status = CaseStatus::kInProgress;
  c.closed_at.reset();
  c.resolution_ms.reset();
  c.within_sla.reset();
  ASSERT_OK(Write([&](CaseTx& tx) { return tx.SaveCase(c); }));
  ExpectSameCase(*Find(c.acceptance_number), c);
}

TEST_P(CaseStoreContract, SequencesCountPerBranchAndDayAcrossTransactions) {
  std::vector<int> got;
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    for (auto [branch, day] : {std::pair{"north", "2026-02-12"}, std::pair{"north", "2026-02-12"},
                               std::pair{"south", "2026-02-12"}, std::pair{"north", "2026-02-13"},
                               std::pair{"north", "2026-02-12"}}) {
      auto seq = tx.TakeSequence(branch, day);
      if (!seq.ok()) return seq.status();
      got.push_back(*seq);
    }
    return Status();
  }));
  EXPECT_EQ(got, (std::vector<int>{1, 2, 1, 1, 3}));
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    auto seq = tx.TakeSequence("north", "2026-02-12");
    if (!seq.ok()) return seq.status();
    EXPECT_EQ(*seq, 4);
    return Status();
  }));
}

TEST_P(CaseStoreContract, PeriodsComeByBeginAndClosingEndsOnlyTheOpenOnes) {
  CaseRecord c = NewCase(1, "a"), other = NewCase(2, "b");
  ASSERT_GT(Insert(c), 0);
  ASSERT_GT(Insert(other), 0);
  const Instant t1 = Taipei(2026, 2, 13, 9, 0), t2 = Taipei(2026, 2, 13, 10, 0),
                t3 = Taipei(2026, 2, 13, 11, 0);
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.OpenPeriod(c.id, CaseStatus::kWaitingCustomer, t2));
    CSOPS_RETURN_IF_ERROR(tx.OpenPeriod(other.id, CaseStatus::kInProgress, t1));
    return tx.OpenPeriod(c.id, CaseStatus::kInProgress, t1);
  }));
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.ClosePeriods(c.id, t2));
    return tx.OpenPeriod(c.id, CaseStatus::kCompleted, t2);  // same begin: after the one before
  }));
  ASSERT_OK(Write([&](CaseTx& tx) { return tx.ClosePeriods(c.id, t3); }));
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto p = tx.Periods(c.id);
    if (!p.ok()) return p.status();
    EXPECT_EQ(p->size(), 3u);
    if (p->size() != 3) return Status();
    EXPECT_EQ((*p)[0].status, CaseStatus::kInProgress);
    EXPECT_EQ((*p)[0].begin, t1);
    EXPECT_EQ((*p)[0].end, t2);
    EXPECT_EQ((*p)[1].status, CaseStatus::kWaitingCustomer);
    EXPECT_EQ((*p)[1].begin, t2);
    EXPECT_EQ((*p)[1].end, t2);
    EXPECT_EQ((*p)[2].status, CaseStatus::kCompleted);
    EXPECT_EQ((*p)[2].end, t3);
    auto o = tx.Periods(other.id);
    if (!o.ok()) return o.status();
    EXPECT_EQ(o->size(), 1u);
    if (!o->empty()) {
      EXPECT_EQ(o->front().end, std::nullopt);
    }  // another case's: still open
    return Status();
  }));
}

TEST_P(CaseStoreContract, HistoryComesBackInTheOrderItWasAppended) {
  CaseRecord c = NewCase(1, "a"), other = NewCase(2, "b");
  ASSERT_GT(Insert(c), 0);
  ASSERT_GT(Insert(other), 0);
  const Instant t = Taipei(2026, 2, 13, 9, 0);
  const std::vector<HistoryRow> rows = {
      {t, "staff:E1", history_kind::kCreated, std::nullopt, CaseStatus::kAccepted, ""},
      {t, "staff:E1", history_kind::kTransition, CaseStatus::kAccepted,
       CaseStatus::kWaitingCustomer, "請補附身分證影本\n謝謝"},
      {t - minutes(5), "system", history_kind::kSla, std::nullopt, std::nullopt,
       "response warning_50"},
  };
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    for (const HistoryRow& h : rows) CSOPS_RETURN_IF_ERROR(tx.AppendHistory(c.id, h));
    return tx.AppendHistory(
        other.id, {t, "staff:E2", history_kind::kNote, std::nullopt, std::nullopt, "another case"});
  }));
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto h = tx.History(c.id);
    if (!h.ok()) return h.status();
    EXPECT_EQ(h->size(), rows.size());
    for (std::size_t i = 0; i < std::min(h->size(), rows.size()); ++i) {
      EXPECT_EQ((*h)[i].at, rows[i].at) << i;
      EXPECT_EQ((*h)[i].actor, rows[i].actor) << i;
      EXPECT_EQ((*h)[i].kind, rows[i].kind) << i;
      EXPECT_EQ((*h)[i].from, rows[i].from) << i;
      EXPECT_EQ((*h)[i].to, rows[i].to) << i;
      EXPECT_EQ((*h)[i].note, rows[i].note) << i;
    }
    auto o = tx.History(other.id);
    if (!o.ok()) return o.status();
    EXPECT_EQ(o->size(), 1u);
    return Status();
  }));
}

TEST_P(CaseStoreContract, ListCasesPagesByIdUnderItsFilters) {
  std::vector<CaseRecord> cases = {NewCase(1, "l1"), NewCase(2, "l2", "south"),
                                   NewCase(3, "l3", "north", "complaint"), NewCase(4, "l4"),
                                   NewCase(5, "l5")};
  for (CaseRecord& c : cases) ASSERT_GT(Insert(c), 0);
  cases[3].status = CaseStatus::kWaitingCustomer;
  cases[4].assignee_staff = "E0007";
  cases[4].assignee_department = "business";
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.SaveCase(cases[3]));
    return tx.SaveCase(cases[4]);
  }));
  auto list = [&](const CaseFilter& f, std::int64_t after, int limit) {
    std::vector<CaseRecord> out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.ListCases(f, after, limit);
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  };
  std::vector<std::string> paged;
  std::int64_t after = 0;
  for (int pages = 0; pages < 10; ++pages) {
    auto rows = list({}, after, 2);
    EXPECT_LE(rows.size(), 2u);
    if (rows.empty()) break;
    for (std::size_t i = 1; i < rows.size(); ++i) EXPECT_LT(rows[i - 1].id, rows[i].id);
    for (const CaseRecord& c : rows) paged.push_back(c.acceptance_number);
    after = rows.back().id;
  }
  EXPECT_EQ(paged, Numbers(cases));  // every case once, by id
  auto whole = list({}, 0, 100);
  ASSERT_EQ(whole.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) ExpectSameCase(whole[i], cases[i]);
  EXPECT_EQ(Numbers(list({"waiting_customer", "", "", ""}, 0, 100)), Numbers({cases[3]}));
  EXPECT_EQ(Numbers(list({"", "complaint", "", ""}, 0, 100)), Numbers({cases[2]}));
  EXPECT_EQ(Numbers(list({"", "", "south", ""}, 0, 100)), Numbers({cases[1]}));
  EXPECT_EQ(Numbers(list({"", "", "", "E0007"}, 0, 100)), Numbers({cases[4]}));
  EXPECT_EQ(Numbers(list({"accepted", "application", "north", ""}, 0, 100)),
            Numbers({cases[0], cases[4]}));
  EXPECT_EQ(Numbers(list({"accepted", "application", "north", ""}, cases[0].id, 100)),
            Numbers({cases[4]}));
}

TEST_P(CaseStoreContract, ClosedBetweenIsHalfOpenAndFiltersByBranchAndType) {
  const Instant t = Taipei(2026, 2, 20, 12, 0);
  std::vector<CaseRecord> cases = {NewCase(1, "c1"), NewCase(2, "c2", "south"),
                                   NewCase(3, "c3", "north", "complaint"), NewCase(4, "c4"),
                                   NewCase(5, "c5")};
  for (CaseRecord& c : cases) ASSERT_GT(Insert(c), 0);
  const std::vector<Instant> closed = {t, t + hours(1), t + hours(2), t + hours(3)};
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    for (std::size_t i = 0; i < closed.size(); ++i) {  // the fifth stays open
      cases[i].status = CaseStatus::kCompleted;
      cases[i].closed_at = closed[i];
      cases[i].resolution_ms = 1000 * static_cast<std::int64_t>(i);
      cases[i].within_sla = i % 2 == 0;
      CSOPS_RETURN_IF_ERROR(tx.SaveCase(cases[i]));
    }
    return Status();
  }));
  auto between = [&](Instant from, Instant to, const std::string& branch, const std::string& type) {
    std::vector<CaseRecord> out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.ClosedBetween(from, to, branch, type);
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  };
  auto all = between(t, t + hours(3), "", "");
  ASSERT_EQ(Numbers(all), Numbers({cases[0], cases[1], cases[2]}));  // [from, to)
  for (std::size_t i = 0; i < all.size(); ++i) ExpectSameCase(all[i], cases[i]);
  EXPECT_EQ(Numbers(between(t + minutes(1), t + hours(4), "", "")),
            Numbers({cases[1], cases[2], cases[3]}));
  EXPECT_EQ(Numbers(between(t, t + hours(4), "north", "application")),
            Numbers({cases[0], cases[3]}));
  EXPECT_EQ(Numbers(between(t, t + hours(4), "south", "")), Numbers({cases[1]}));
  EXPECT_EQ(Numbers(between(t, t + hours(4), "", "complaint")), Numbers({cases[2]}));
  EXPECT_TRUE(between(t + hours(4), t + hours(400), "", "").empty());
}

TEST_P(CaseStoreContract, DelaysBetweenListsDelayHistoryOldestFirstWithReasonAndDate) {
  CaseRecord a = NewCase(1, "a"), b = NewCase(2, "b", "south", "complaint");
  ASSERT_GT(Insert(a), 0);
  ASSERT_GT(Insert(b), 0);
  const Instant t = Taipei(2026, 2, 20, 12, 0);
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {
    auto delay = [&](const CaseRecord& c, Instant at, const std::string& reason,
                     const std::string& date) {
      return tx.AppendHistory(c.id, {at, "staff:E1", history_kind::kDelay, std::nullopt,
                                     std::nullopt, DelayNote(reason, date)});
    };
    CSOPS_RETURN_IF_ERROR(delay(a, t + hours(2), "待台電(配電)施工", "2026-03-12"));
    CSOPS_RETURN_IF_ERROR(delay(b, t + hours(1), "設備缺料", "2026-03-10"));
    CSOPS_RETURN_IF_ERROR(tx.AppendHistory(
        a.id, {t + hours(1), "staff:E1", history_kind::kNote, std::nullopt, std::nullopt, "x"}));
    return delay(a, t, "first", "2026-03-01");
  }));
  auto delays = [&](Instant from, Instant to, const std::string& branch, const std::string& type,
                    int limit) {
    std::vector<DelayRow> out;
    EXPECT_OK(Read([&](CaseTx& tx) -> Status {
      auto rows = tx.DelaysBetween(from, to, branch, type, limit);
      if (!rows.ok()) return rows.status();
      out = std::move(*rows);
      return Status();
    }));
    return out;
  };
  auto all = delays(t, t + hours(3), "", "", 100);
  ASSERT_EQ(all.size(), 3u);  // notes are not delays
  EXPECT_EQ(all[0].acceptance_number, a.acceptance_number);
  EXPECT_EQ(all[0].declared_at, t);
  EXPECT_EQ(all[0].reason, "first");
  EXPECT_EQ(all[0].new_expected_date, "2026-03-01");
  EXPECT_EQ(all[1].acceptance_number, b.acceptance_number);
  EXPECT_EQ(all[1].type_code, "complaint");
  EXPECT_EQ(all[1].branch_id, "south");
  EXPECT_EQ(all[1].reason, "設備缺料");
  EXPECT_EQ(all[2].reason, "待台電(配電)施工");  // parentheses in a reason survive
  EXPECT_EQ(all[2].new_expected_date, "2026-03-12");
  EXPECT_EQ(delays(t, t + hours(2), "", "", 100).size(), 2u);  // [from, to)
  auto first_two = delays(t, t + hours(3), "", "", 2);
  ASSERT_EQ(first_two.size(), 2u);
  EXPECT_EQ(first_two[1].declared_at, t + hours(1));
  EXPECT_EQ(delays(t, t + hours(3), "north", "", 100).size(), 2u);
  EXPECT_EQ(delays(t, t + hours(3), "", "complaint", 100).size(), 1u);
  EXPECT_TRUE(delays(t + hours(3), t + hours(9), "", "", 100).empty());
}

TEST_P(CaseStoreContract, AFailedTransactionLeavesNothingOfItBehind) {
  CaseRecord kept = NewCase(1, "kept");
  ASSERT_GT(Insert(kept), 0);
  const Instant t = Taipei(2026, 2, 13, 9, 0);
  CaseRecord lost = NewCase(2, "lost");
  Status failed = Write([&](CaseTx& tx) -> Status {
    auto seq = tx.TakeSequence("north", "2026-02-12");
    if (!seq.ok()) return seq.status();
    auto id = tx.InsertCase(lost);
    if (!id.ok()) return id.status();
    CaseRecord changed = kept;
    changed.status = CaseStatus::kInProgress;
    changed.first_reply_at = t;
    CSOPS_RETURN_IF_ERROR(tx.SaveCase(changed));
    CSOPS_RETURN_IF_ERROR(tx.OpenPeriod(kept.id, CaseStatus::kInProgress, t));
    CSOPS_RETURN_IF_ERROR(tx.AppendHistory(
        *id, {t, "staff:E1", history_kind::kCreated, std::nullopt, CaseStatus::kAccepted, ""}));
    CSOPS_RETURN_IF_ERROR(tx.InsertOutbox(
        {*id, outbox_kind::kAccepted, NoticeChannel::kEmail, "ming@example.com", "{}", t}));
    auto fired = tx.RecordSlaEvent(kept.id, "response", "warning_50", t, t, false);
    if (!fired.ok()) return fired.status();
    CSOPS_RETURN_IF_ERROR(tx.SaveTarget(kept.id, "response", t + hours(1), std::nullopt));
    CSOPS_RETURN_IF_ERROR(tx.SaveSlaSummary(kept.id, t + hours(1), SlaState::kWarning));
    // A statement that fails (the number is taken) fails the whole transaction too.
    return tx.InsertCase(NewCase(1, "again")).status();
  });
  EXPECT_FALSE(failed.ok());
  Status refused = Write([&](CaseTx& tx) -> Status {
    CSOPS_RETURN_IF_ERROR(tx.AppendHistory(
        kept.id, {t, "staff:E1", history_kind::kNote, std::nullopt, std::nullopt, "lost"}));
    return Status::FailedPrecondition("case is 'completed'");
  });
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);  // the function's own status

  ExpectSameCase(*Find(kept.acceptance_number), kept);
  EXPECT_FALSE(Find(lost.acceptance_number).has_value());
  ASSERT_OK(Read([&](CaseTx& tx) -> Status {
    auto by_key = tx.FindByIdempotencyKey("lost");
    if (!by_key.ok()) return by_key.status();
    EXPECT_FALSE(by_key->has_value());
    auto periods = tx.Periods(kept.id);
    if (!periods.ok()) return periods.status();
    EXPECT_TRUE(periods->empty());
    auto history = tx.History(kept.id);
    if (!history.ok()) return history.status();
    EXPECT_TRUE(history->empty());
    auto outbox = tx.PendingOutbox(10);
    if (!outbox.ok()) return outbox.status();
    EXPECT_TRUE(outbox->empty());
    auto fired = tx.FiredSlaEvents(kept.id);
    if (!fired.ok()) return fired.status();
    EXPECT_TRUE(fired->empty());
    auto newest = tx.NewestSlaEventCursor();
    if (!newest.ok()) return newest.status();
    EXPECT_EQ(*newest, 0);
    auto scheduled = tx.ScheduledEvents();
    if (!scheduled.ok()) return scheduled.status();
    EXPECT_TRUE(scheduled->empty());
    auto unsummarized = tx.OpenCasesAfter(0, 10, false);
    if (!unsummarized.ok()) return unsummarized.status();
    EXPECT_EQ(Numbers(*unsummarized), Numbers({kept}));
    auto due = tx.CountDueFrom("north", t);
    if (!due.ok()) return due.status();
    EXPECT_TRUE(due->empty());
    auto listed = tx.ListCases({}, 0, 10);
    if (!listed.ok()) return listed.status();
    EXPECT_EQ(Numbers(*listed), Numbers({kept}));
    return Status();
  }));
  ASSERT_OK(Write([&](CaseTx& tx) -> Status {  // the sequence taken was given back
    auto seq = tx.TakeSequence("north", "2026-02-12");
    if (!seq.ok()) return seq.status();
    EXPECT_EQ(*seq, 1);
    return Status();
  }));
}

}  // namespace
}  // namespace csops::cases

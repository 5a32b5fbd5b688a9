// The CaseStore contract suite (case_store_contract.h): what the engine relies on from any store.
#include "services/case/store/case_store_contract.h"

#include <absl/time/civil_time.h>

#include <algorithm>
#include <future>

#include "common/base/testutil.h"
#include "services/case/domain/acceptance_number.h"

namespace csops::cases {

void CaseStoreContract::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr);
}

void CaseStoreContract::TearDown() { store_.reset(); }

Status CaseStoreContract::Write(std::function<Status(CaseTx&)> fn) {
  std::promise<Status> committed;
  auto f = committed.get_future();
  store_->Transact(std::move(fn), [&committed](const Status& s) { committed.set_value(s); });
  return f.get();
}

CaseRecord CaseStoreContract::NewCase(int seq, const std::string& key, const std::string& branch,
                                      const std::string& type) {
  CaseRecord c;
  c.acceptance_number =
      MakeAcceptanceNumber(branch == "north" ? "NO" : "SO", absl::CivilDay(2026, 2, 12), seq)
          ->Compact();
  c.branch_id = branch;
  c.business_day = "2026-02-12";
  c.sequence = seq;
  c.type_code = type;
  c.status = CaseStatus::kAccepted;
  c.received_via = "counter";
  c.summary = "new meter\nsecond line";
  c.applicant = {"王小明",
                 "01234567890",
                 "0912345678",
                 "ming@example.com",
                 {NoticeChannel::kSms, NoticeChannel::kEmail, NoticeChannel::kPost},
                 "en"};
  c.lookup_salt = "";
  c.lookup_hash = "hmac1:verifier-" + std::to_string(seq);
  c.accepted_at = Taipei(2026, 2, 12, 16, 0, seq);
  c.idempotency_key = key;
  c.request_fingerprint = "fp-" + std::to_string(seq);
  return c;
}

std::int64_t CaseStoreContract::Insert(CaseRecord& c) {
  std::int64_t id = 0;
  EXPECT_OK(Write([&](CaseTx& tx) -> Status {
    auto inserted = tx.InsertCase(c);
    if (!inserted.ok()) return inserted.status();
    id = *inserted;
    return Status();
  }));
  c.id = id;
  return id;
}

std::optional<CaseRecord> CaseStoreContract::Find(const std::string& number) {
  std::optional<CaseRecord> out;
  EXPECT_OK(Read([&](CaseTx& tx) -> Status {
    auto found = tx.FindByNumber(number);
    if (!found.ok()) return found.status();
    out = std::move(*found);
    return Status();
  }));
  return out;
}

void ExpectSameCase(const CaseRecord& got, const CaseRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.acceptance_number, want.acceptance_number);
  EXPECT_EQ(got.branch_id, want.branch_id);
  EXPECT_EQ(got.business_day, want.business_day);
  EXPECT_EQ(got.sequence, want.sequence);
  EXPECT_EQ(got.type_code, want.type_code);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.received_via, want.received_via);
  EXPECT_EQ(got.summary, want.summary);
  EXPECT_EQ(got.applicant.name, want.applicant.name);
  EXPECT_EQ(got.applicant.customer_number, want.applicant.customer_number);
  EXPECT_EQ(got.applicant.phone, want.applicant.phone);
  EXPECT_EQ(got.applicant.email, want.applicant.email);
  EXPECT_EQ(got.applicant.channels, want.applicant.channels);
  EXPECT_EQ(got.applicant.locale, want.applicant.locale);
  EXPECT_EQ(got.lookup_salt, want.lookup_salt);
  EXPECT_EQ(got.lookup_hash, want.lookup_hash);
  EXPECT_EQ(got.accepted_at, want.accepted_at);
  EXPECT_EQ(got.first_reply_at, want.first_reply_at);
  EXPECT_EQ(got.closed_at, want.closed_at);
  EXPECT_EQ(got.delay_reason, want.delay_reason);
  EXPECT_EQ(got.delay_new_date, want.delay_new_date);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  EXPECT_EQ(got.request_fingerprint, want.request_fingerprint);
  EXPECT_EQ(got.assignee_department, want.assignee_department);
  EXPECT_EQ(got.assignee_staff, want.assignee_staff);
  EXPECT_EQ(got.resolution_ms, want.resolution_ms);
  EXPECT_EQ(got.within_sla, want.within_sla);
}

namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::vector<std::string> Numbers(const std::vector<CaseRecord>& cases) {
  std::vector<std::string> out;
  for (const CaseRecord& c : cases) out.push_back(c.acceptance_number);
  return out;
}

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

// The QueueStore contract (queue_store.h), through the interface alone; see
// queue_store_contract.h for how a store implementation runs it.
#include "services/queue/store/queue_store_contract.h"

#include <gmock/gmock.h>

#include <array>
#include <climits>
#include <tuple>

namespace csops::queue {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::vector<std::string> Displays(const std::vector<TicketRecord>& v) {
  std::vector<std::string> out;
  for (const auto& t : v) out.push_back(t.display);
  return out;
}

TEST_P(QueueStoreContractTest, AServiceDayIsEmptyBeforeItsFirstTicket) {
  const ServiceDay d = Day("A");
  EXPECT_EQ(d.last_number, 0);
  EXPECT_EQ(d.waiting, 0);
  EXPECT_EQ(d.last_called, "");
  EXPECT_EQ(d.avg_service_ms, 0);
  EXPECT_EQ(d.service_samples, 0);
}

TEST_P(QueueStoreContractTest, TakeNumberStartsAtTheFirstNumberAndCountsPerBranchDayService) {
  std::vector<std::pair<int, int>> got;  // last_number, waiting
  ASSERT_OK(Tx([&](QueueTx& tx) {
    for (auto [branch, day, service] :
         std::vector<std::array<std::string, 3>>{{kBranch, kDay, "A"},
                                                 {kBranch, kDay, "A"},
                                                 {kBranch, kDay, "B"},
                                                 {kBranch, "2026-03-05", "A"},
                                                 {"b2", kDay, "A"},
                                                 {kBranch, kDay, "A"}}) {
      auto sd = tx.TakeNumber(branch, day, service, 101);
      if (!sd.ok()) return sd.status();
      got.emplace_back(sd->last_number, sd->waiting);
    }
    return Status();
  }));
  EXPECT_THAT(got, ElementsAre(Pair(101, 1), Pair(102, 2), Pair(101, 1), Pair(101, 1), Pair(101, 1),
                               Pair(103, 3)));
  EXPECT_EQ(Day("A").last_number, 103);
  EXPECT_EQ(Day("A").waiting, 3);
}

TEST_P(QueueStoreContractTest, AnInsertedTicketReadsBackByIdDisplayAndKey) {
  TicketRecord t;
  t.branch_id = kBranch;
  t.business_day = kDay;
  t.number = 7;
  t.display = "A007";
  t.service_code = "A";
  t.priority = PriorityClass::kAccessible;
  t.channel = Channel::kApp;
  t.issued_at = At(1);
  t.queued_at = At(2);
  t.contact_kind = ContactKind::kEmail;
  t.contact_address = "ming@example.com";
  t.estimated_wait_ms = 123456;
  t.idempotency_key = "key-1";
  t.request_fingerprint = "fp-1";
  ASSERT_OK(Tx([&](QueueTx& tx) {
    auto id = tx.InsertTicket(t);
    if (!id.ok()) return id.status();
    t.id = *id;
    return Status();
  }));
  ASSERT_GT(t.id, 0);
  const TicketRecord s = Stored(t.id);
  EXPECT_EQ(s.branch_id, kBranch);
  EXPECT_EQ(s.business_day, kDay);
  EXPECT_EQ(s.number, 7);
  EXPECT_EQ(s.display, "A007");
  EXPECT_EQ(s.service_code, "A");
  EXPECT_EQ(s.state, TicketState::kWaiting);
  EXPECT_EQ(s.priority, PriorityClass::kAccessible);
  EXPECT_EQ(s.channel, Channel::kApp);
  EXPECT_EQ(s.issued_at, At(1));
  EXPECT_EQ(s.queued_at, At(2));
  EXPECT_EQ(s.contact_kind, ContactKind::kEmail);
  EXPECT_EQ(s.contact_address, "ming@example.com");
  EXPECT_EQ(s.estimated_wait_ms, 123456);
  EXPECT_EQ(s.idempotency_key, "key-1");
  EXPECT_EQ(s.request_fingerprint, "fp-1");
  // What a new ticket has not done yet.
  EXPECT_FALSE(s.first_called_at || s.called_at || s.serving_at || s.finished_at);
  EXPECT_EQ(s.counter_id, "");
  EXPECT_EQ(s.calls, 0);
  EXPECT_FALSE(s.transferred);
  EXPECT_FALSE(s.near_notified);
  EXPECT_EQ(s.outcome, Outcome::kNone);
  EXPECT_EQ(s.rating, 0);

  ASSERT_OK(store().Read([&](QueueReader& r) {
    auto by_display = r.FindTicket(kBranch, kDay, "A007");
    EXPECT_OK(by_display.status());
    EXPECT_TRUE(by_display.ok() && *by_display && (*by_display)->id == t.id);
    auto by_key = r.FindByIdempotencyKey(kBranch, "key-1");
    EXPECT_OK(by_key.status());
    EXPECT_TRUE(by_key.ok() && *by_key && (*by_key)->id == t.id);
    // Keys are per branch; displays per branch and day.
    EXPECT_FALSE(*r.FindByIdempotencyKey("b2", "key-1"));
    EXPECT_FALSE(*r.FindTicket(kBranch, "2026-03-05", "A007"));
    EXPECT_FALSE(*r.FindTicketById(t.id + 1000));
    return Status();
  }));
}

TEST_P(QueueStoreContractTest, AKeyIsUniquePerBranchAndTicketsWithoutOneNeverClash) {
  auto insert = [&](const std::string& branch, const std::string& display, const std::string& key) {
    TicketRecord t;
    t.branch_id = branch;
    t.business_day = kDay;
    t.display = display;
    t.service_code = "A";
    t.idempotency_key = key;
    return Tx([&](QueueTx& tx) { return tx.InsertTicket(t).status(); });
  };
  EXPECT_OK(insert(kBranch, "A001", ""));
  EXPECT_OK(insert(kBranch, "A002", ""));
  EXPECT_OK(insert(kBranch, "A003", "k"));
  EXPECT_OK(insert("b2", "A003", "k"));
  EXPECT_FALSE(insert(kBranch, "A004", "k").ok()) << "the key is taken in this branch";
  EXPECT_FALSE(insert(kBranch, "A003", "other").ok()) << "the display is taken today";
}

TEST_P(QueueStoreContractTest, SaveTicketWritesEveryChangeableFieldBack) {
  const TicketRecord t = Issue("A", At(0));
  const TicketRecord s = Save(t, [&](TicketRecord& a) {
    a.service_code = "B";
    a.state = TicketState::kServing;
    a.queued_at = At(3);
    a.first_called_at = At(4);
    a.called_at = At(5);
    a.serving_at = At(6);
    a.finished_at = At(7);
    a.counter_id = "2";
    a.calls = 2;
    a.transferred = true;
    a.transfer_note = "needs a meter reading";
    a.reserved_counter_id = "2";
    a.near_notified = true;
    a.outcome = Outcome::kCaseOpened;
    a.rating = 4;
  });
  EXPECT_EQ(s.service_code, "B");
  EXPECT_EQ(s.state, TicketState::kServing);
  EXPECT_EQ(s.queued_at, At(3));
  EXPECT_EQ(s.first_called_at, At(4));
  EXPECT_EQ(s.called_at, At(5));
  EXPECT_EQ(s.serving_at, At(6));
  EXPECT_EQ(s.finished_at, At(7));
  EXPECT_EQ(s.counter_id, "2");
  EXPECT_EQ(s.calls, 2);
  EXPECT_TRUE(s.transferred);
  EXPECT_EQ(s.transfer_note, "needs a meter reading");
  EXPECT_EQ(s.reserved_counter_id, "2");
  EXPECT_TRUE(s.near_notified);
  EXPECT_EQ(s.outcome, Outcome::kCaseOpened);
  EXPECT_EQ(s.rating, 4);
  EXPECT_EQ(s.display, t.display) << "a ticket keeps its number";
  // Optional instants can be cleared again.
  const TicketRecord cleared = Save(s, [](TicketRecord& a) {
    a.called_at.reset();
    a.serving_at.reset();
    a.finished_at.reset();
  });
  EXPECT_FALSE(cleared.called_at || cleared.serving_at || cleared.finished_at);
  EXPECT_EQ(cleared.first_called_at, At(4));
}

TEST_P(QueueStoreContractTest, TheWaitingCountFollowsStateAndServiceChanges) {
  const TicketRecord a1 = Issue("A", At(0));
  const TicketRecord a2 = Issue("A", At(1));
  Issue("A", At(2));
  EXPECT_EQ(Day("A").waiting, 3);
  const TicketRecord called = Save(a1, [](TicketRecord& t) {
    t.state = TicketState::kCalled;
    t.counter_id = "1";
  });
  EXPECT_EQ(Day("A").waiting, 2);
  Save(a2, [](TicketRecord& t) {  // a transfer while waiting
    t.service_code = "B";
    t.transferred = true;
  });
  EXPECT_EQ(Day("A").waiting, 1);
  EXPECT_EQ(Day("B").waiting, 1);
  const TicketRecord moved = Save(called, [](TicketRecord& t) {  // not waiting: no count moves
    t.service_code = "C";
  });
  EXPECT_EQ(Day("A").waiting, 1);
  EXPECT_EQ(Day("C").waiting, 0);
  Save(moved, [](TicketRecord& t) {  // requeued
    t.state = TicketState::kWaiting;
    t.counter_id = "";
  });
  EXPECT_EQ(Day("C").waiting, 1);
  EXPECT_EQ(Day("A").last_number, 3) << "numbering never goes back";
}

TEST_P(QueueStoreContractTest, WaitingInOrderIsClassThenQueueTimeThenIdAndCountAheadAgrees) {
  Issue("A", At(0));                            // A001
  Issue("A", At(5), PriorityClass::kPriority);  // A002
  Issue("A", At(5));                            // A003, queued with A004: by id
  Issue("A", At(5));                            // A004
  const TicketRecord x = Issue("A", At(9));     // A005
  Save(x, [](TicketRecord& t) { t.transferred = true; });
  const TicketRecord gone = Issue("A", At(1));  // A006, called: out of the line
  Save(gone, [](TicketRecord& t) { t.state = TicketState::kCalled; });
  Issue("B", At(0));
  Issue("A", At(0), PriorityClass::kNormal, "b2");
  Issue("A", At(0), PriorityClass::kNormal, kBranch, "2026-03-05");

  std::vector<TicketRecord> line, first_two;
  std::vector<int> ahead;
  int hypothetical = -1;
  ASSERT_OK(store().Read([&](QueueReader& r) {
    line = *r.WaitingInOrder(kBranch, kDay, "A", 10);
    first_two = *r.WaitingInOrder(kBranch, kDay, "A", 2);
    for (const auto& t : line) ahead.push_back(*r.CountAhead(t));
    // The engine asks before inserting: a priority ticket queued now, not stored yet.
    TicketRecord next;
    next.id = INT64_MAX;
    next.branch_id = kBranch;
    next.business_day = kDay;
    next.service_code = "A";
    next.priority = PriorityClass::kAccessible;
    next.queued_at = At(30);
    hypothetical = *r.CountAhead(next);
    return Status();
  }));
  EXPECT_THAT(Displays(line), ElementsAre("A005", "A002", "A001", "A003", "A004"));
  EXPECT_THAT(Displays(first_two), ElementsAre("A005", "A002"));
  EXPECT_THAT(ahead, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(hypothetical, 2) << "the transferred and the priority ticket";
}

TEST_P(QueueStoreContractTest, WaitingHeadsAreTheOldestOfEachServiceAndClass) {
  const TicketRecord a_old = Issue("A", At(0));
  Issue("A", At(1));
  const TicketRecord a_pri = Issue("A", At(2), PriorityClass::kPriority);
  Issue("A", At(3), PriorityClass::kPriority);
  const TicketRecord b_res = Issue("B", At(4));
  Save(b_res, [](TicketRecord& t) {
    t.transferred = true;
    t.reserved_counter_id = "2";
  });
  const TicketRecord b_norm = Issue("B", At(6));
  Issue("C", At(0));  // a service the counter does not serve

  std::vector<Candidate> for_1, for_2;
  ASSERT_OK(store().Read([&](QueueReader& r) {
    for_1 = *r.WaitingHeads(kBranch, kDay, {"A", "B"}, "1");
    for_2 = *r.WaitingHeads(kBranch, kDay, {"A", "B"}, "2");
    return Status();
  }));
  auto key = [](const std::vector<Candidate>& v) {
    std::vector<std::tuple<std::int64_t, std::string, QueueClass, Instant>> out;
    for (const auto& c : v) out.emplace_back(c.ticket_id, c.service_code, c.cls, c.queued_at);
    return out;
  };
  using T = std::tuple<std::int64_t, std::string, QueueClass, Instant>;
  EXPECT_THAT(key(for_1), UnorderedElementsAre(T{a_old.id, "A", QueueClass::kNormal, At(0)},
                                               T{a_pri.id, "A", QueueClass::kPriority, At(2)},
                                               T{b_norm.id, "B", QueueClass::kNormal, At(6)}))
      << "a ticket reserved for counter 2 is not offered to counter 1";
  EXPECT_THAT(key(for_2), UnorderedElementsAre(T{a_old.id, "A", QueueClass::kNormal, At(0)},
                                               T{a_pri.id, "A", QueueClass::kPriority, At(2)},
                                               T{b_res.id, "B", QueueClass::kTransferred, At(4)},
                                               T{b_norm.id, "B", QueueClass::kNormal, At(6)}));
}

TEST_P(QueueStoreContractTest, OldestWaitingAndHeldByCounterFollowTheLine) {
  auto oldest = [&] {
    std::optional<Instant> o;
    EXPECT_OK(store().Read([&](QueueReader& r) {
      o = *r.OldestWaiting(kBranch, kDay, "A");
      return Status();
    }));
    return o;
  };
  auto held = [&](const std::string& counter) {
    std::optional<TicketRecord> h;
    EXPECT_OK(store().Read([&](QueueReader& r) {
      h = *r.HeldByCounter(kBranch, kDay, counter);
      return Status();
    }));
    return h;
  };
  EXPECT_FALSE(oldest());
  EXPECT_FALSE(held("1"));
  const TicketRecord first = Issue("A", At(10));
  Issue("A", At(20));
  EXPECT_EQ(oldest(), At(10));
  const TicketRecord called = Save(first, [](TicketRecord& t) {
    t.state = TicketState::kCalled;
    t.counter_id = "1";
  });
  EXPECT_EQ(oldest(), At(20));
  ASSERT_TRUE(held("1"));
  EXPECT_EQ(held("1")->id, first.id);
  EXPECT_FALSE(held("2"));
  const TicketRecord serving =
      Save(called, [](TicketRecord& t) { t.state = TicketState::kServing; });
  EXPECT_EQ(held("1")->id, first.id);
  Save(serving, [](TicketRecord& t) { t.state = TicketState::kDone; });
  EXPECT_FALSE(held("1")) << "a finished ticket is held by nobody";
}

TEST_P(QueueStoreContractTest, CountersAreKeptPerBranchInIdOrderAndOverwritten) {
  auto counter = [](const std::string& branch, const std::string& id, CounterState state,
                    std::vector<std::string> services, int streak, Instant at) {
    CounterRecord c;
    c.branch_id = branch;
    c.counter_id = id;
    c.state = state;
    c.staff_id = "E" + id;
    c.services = std::move(services);
    c.priority_streak = streak;
    c.changed_at = at;
    return c;
  };
  ASSERT_OK(Tx([&](QueueTx& tx) {
    CSOPS_RETURN_IF_ERROR(
        tx.SaveCounter(counter(kBranch, "2", CounterState::kOpen, {"B", "A"}, 1, At(0))));
    CSOPS_RETURN_IF_ERROR(
        tx.SaveCounter(counter(kBranch, "1", CounterState::kOpen, {"A"}, 0, At(1))));
    return tx.SaveCounter(counter("b2", "1", CounterState::kPaused, {"C"}, 0, At(2)));
  }));
  ASSERT_OK(Tx([&](QueueTx& tx) {
    return tx.SaveCounter(counter(kBranch, "2", CounterState::kPaused, {"C", "B", "A"}, 2, At(3)));
  }));
  std::vector<CounterRecord> b1, b2, none;
  ASSERT_OK(store().Read([&](QueueReader& r) {
    b1 = *r.Counters(kBranch);
    b2 = *r.Counters("b2");
    none = *r.Counters("b3");
    return Status();
  }));
  ASSERT_EQ(b1.size(), 2u);
  EXPECT_EQ(b1[0].counter_id, "1");
  EXPECT_EQ(b1[1].counter_id, "2");
  EXPECT_EQ(b1[1].branch_id, kBranch);
  EXPECT_EQ(b1[1].state, CounterState::kPaused);
  EXPECT_EQ(b1[1].staff_id, "E2");
  EXPECT_THAT(b1[1].services, ElementsAre("C", "B", "A")) << "the serving order is kept";
  EXPECT_EQ(b1[1].priority_streak, 2);
  EXPECT_EQ(b1[1].changed_at, At(3));
  ASSERT_EQ(b2.size(), 1u);
  EXPECT_EQ(b2[0].state, CounterState::kPaused);
  EXPECT_TRUE(none.empty());
}

TEST_P(QueueStoreContractTest, ServiceTimesAreAMovingAverageAndTheLastCallIsKept) {
  ASSERT_OK(Tx([&](QueueTx& tx) {
    return tx.RecordServiceTime(kBranch, kDay, "A", std::chrono::milliseconds(100000));
  }));
  EXPECT_EQ(Day("A").avg_service_ms, 100000) << "the first sample is taken as it is";
  ASSERT_OK(Tx([&](QueueTx& tx) {
    CSOPS_RETURN_IF_ERROR(
        tx.RecordServiceTime(kBranch, kDay, "A", std::chrono::milliseconds(200000)));
    return tx.SetLastCalled(kBranch, kDay, "A", "A017");
  }));
  const ServiceDay d = Day("A");
  EXPECT_DOUBLE_EQ(d.avg_service_ms, 120000) << "the newest sample weighs 0.2";
  EXPECT_EQ(d.service_samples, 2);
  EXPECT_EQ(d.last_called, "A017");
  EXPECT_EQ(d.last_number, 0) << "no ticket was numbered";
  EXPECT_EQ(Day("B").last_called, "");
  EXPECT_EQ(Day("A", kBranch, "2026-03-05").service_samples, 0);
}

TEST_P(QueueStoreContractTest, RecentCallsAreTheLatestCallsFirst) {
  std::vector<TicketRecord> t;
  for (int i = 0; i < 4; ++i) t.push_back(Issue(i == 2 ? "B" : "A", At(i)));
  const int called_at[] = {10, 30, 20};
  for (int i = 0; i < 3; ++i)
    Save(t[i], [&](TicketRecord& a) {
      a.state = TicketState::kCalled;
      a.counter_id = std::to_string(i + 1);
      a.called_at = At(called_at[i]);
    });
  std::vector<RecentCall> all, two;
  ASSERT_OK(store().Read([&](QueueReader& r) {
    all = *r.RecentCalls(kBranch, kDay, 10);
    two = *r.RecentCalls(kBranch, kDay, 2);
    return Status();
  }));
  ASSERT_EQ(all.size(), 3u) << "a ticket never called is not listed";
  EXPECT_EQ(all[0].ticket_display, t[1].display);
  EXPECT_EQ(all[0].counter_id, "2");
  EXPECT_EQ(all[0].service_code, "A");
  EXPECT_EQ(all[0].called_at, At(30));
  EXPECT_EQ(all[1].ticket_display, t[2].display);
  EXPECT_EQ(all[1].service_code, "B");
  EXPECT_EQ(all[2].ticket_display, t[0].display);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].ticket_display, t[2].display);
}

TEST_P(QueueStoreContractTest, VisitRowsAreTheWindowsTicketsInIssueOrder) {
  Issue("A", At(0));
  const TicketRecord in1 = Issue("A", At(10));
  const TicketRecord in2 = Issue("B", At(20));
  Issue("A", At(15), PriorityClass::kNormal, "b2");
  Issue("A", At(30));  // the window's end is exclusive
  Save(in1, [](TicketRecord& t) {
    t.service_code = "C";
    t.state = TicketState::kDone;
    t.first_called_at = At(12);
    t.finished_at = At(18);
    t.rating = 5;
  });
  std::vector<VisitRow> one, every;
  ASSERT_OK(store().Read([&](QueueReader& r) {
    one = *r.VisitRows(kBranch, At(10), At(30));
    every = *r.VisitRows("", At(10), At(30));
    return Status();
  }));
  ASSERT_EQ(one.size(), 2u);
  EXPECT_EQ(one[0].branch_id, kBranch);
  EXPECT_EQ(one[0].origin_service, "A");
  EXPECT_EQ(one[0].service_code, "C");
  EXPECT_EQ(one[0].state, TicketState::kDone);
  EXPECT_EQ(one[0].issued_at, At(10));
  EXPECT_EQ(one[0].first_called_at, At(12));
  EXPECT_EQ(one[0].finished_at, At(18));
  EXPECT_EQ(one[0].rating, 5);
  EXPECT_EQ(one[1].issued_at, in2.issued_at);
  EXPECT_FALSE(one[1].first_called_at);
  ASSERT_EQ(every.size(), 3u);
  EXPECT_EQ(every[1].branch_id, "b2");
}

TEST_P(QueueStoreContractTest, NoticesArePendingInIdOrderUntilMarkedAndKeepTheFirstMark) {
  const TicketRecord t1 = Issue("A", At(0));
  const TicketRecord t2 = Issue("A", At(0), PriorityClass::kNormal, "b2");
  const TicketRecord t3 = Issue("A", At(1));
  ASSERT_OK(Tx([&](QueueTx& tx) {
    CSOPS_RETURN_IF_ERROR(tx.InsertNotice(Notice(t1, 2, At(5))));
    CSOPS_RETURN_IF_ERROR(tx.InsertNotice(Notice(t2, 1, At(6))));
    CSOPS_RETURN_IF_ERROR(tx.InsertNotice(Notice(t3, 0, At(7))));
    return tx.InsertNotice(Notice(t1, 0, At(8)));  // a second one for t1: ignored
  }));
  std::vector<NearTurnNotice> pending, first, listed;
  auto read = [&] {
    ASSERT_OK(store().Read([&](QueueReader& r) {
      pending = *r.PendingNotices(10);
      first = *r.PendingNotices(1);
      listed = *r.ListNotices(kBranch, 10);
      return Status();
    }));
  };
  read();
  ASSERT_EQ(pending.size(), 3u) << "one notice per ticket";
  EXPECT_LT(pending[0].id, pending[1].id);
  EXPECT_LT(pending[1].id, pending[2].id);
  EXPECT_EQ(pending[0].ticket_id, t1.id);
  EXPECT_EQ(pending[1].ticket_id, t2.id) << "pending notices of every branch";
  EXPECT_EQ(pending[0].branch_id, kBranch);
  EXPECT_EQ(pending[0].ticket_display, t1.display);
  EXPECT_EQ(pending[0].business_day, kDay);
  EXPECT_EQ(pending[0].people_ahead, 2) << "the first notice of a ticket is kept";
  EXPECT_EQ(pending[0].contact_kind, ContactKind::kSms);
  EXPECT_EQ(pending[0].contact_address, "0912345678");
  EXPECT_EQ(pending[0].created_at, At(5));
  EXPECT_FALSE(pending[0].delivered);
  EXPECT_EQ(pending[0].relay_error, "");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].id, pending[0].id);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[1].ticket_id, t3.id);

  const std::int64_t n1 = pending[0].id, n2 = pending[1].id;
  ASSERT_OK(Tx([&](QueueTx& tx) {
    CSOPS_RETURN_IF_ERROR(tx.MarkNoticeRelayed(n1, At(9), ""));
    return tx.MarkNoticeRelayed(n2, At(9), "recipient: no usable contact");
  }));
  ASSERT_OK(Tx([&](QueueTx& tx) { return tx.MarkNoticeRelayed(n2, At(10), ""); }));
  read();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].ticket_id, t3.id);
  EXPECT_TRUE(listed[0].delivered);
  EXPECT_EQ(listed[0].relay_error, "");
  std::vector<NearTurnNotice> b2;
  ASSERT_OK(store().Read([&](QueueReader& r) {
    b2 = *r.ListNotices("b2", 10);
    return Status();
  }));
  ASSERT_EQ(b2.size(), 1u);
  EXPECT_TRUE(b2[0].delivered);
  EXPECT_EQ(b2[0].relay_error, "recipient: no usable contact") << "a later mark changes nothing";
}

TEST_P(QueueStoreContractTest, ExpireBeforeEndsOpenTicketsOfEarlierDaysOnly) {
  const std::string yesterday = "2026-03-03";
  const TicketRecord waiting = Issue("A", At(-1440), PriorityClass::kNormal, kBranch, yesterday);
  const TicketRecord called = Issue("B", At(-1439), PriorityClass::kNormal, kBranch, yesterday);
  const TicketRecord serving = Issue("A", At(-1438), PriorityClass::kNormal, kBranch, yesterday);
  const TicketRecord done = Issue("A", At(-1437), PriorityClass::kNormal, kBranch, yesterday);
  Save(called, [](TicketRecord& t) {
    t.state = TicketState::kCalled;
    t.counter_id = "1";
  });
  Save(serving, [](TicketRecord& t) {
    t.state = TicketState::kServing;
    t.counter_id = "2";
  });
  Save(done, [](TicketRecord& t) {
    t.state = TicketState::kDone;
    t.finished_at = At(-1400);
  });
  const TicketRecord today = Issue("A", At(0));
  const TicketRecord elsewhere = Issue("A", At(-1440), PriorityClass::kNormal, "b2", yesterday);

  std::vector<std::pair<std::string, int>> expired;
  ASSERT_OK(Tx([&](QueueTx& tx) {
    auto r = tx.ExpireBefore(kBranch, kDay, At(60));
    if (!r.ok()) return r.status();
    expired = *r;
    return Status();
  }));
  EXPECT_THAT(expired, UnorderedElementsAre(Pair("A", 2), Pair("B", 1)));
  for (const TicketRecord& t : {waiting, called, serving}) {
    const TicketRecord s = Stored(t.id);
    EXPECT_EQ(s.state, TicketState::kExpired) << t.display;
    EXPECT_EQ(s.finished_at, At(60)) << t.display;
  }
  EXPECT_EQ(Stored(done.id).state, TicketState::kDone);
  EXPECT_EQ(Stored(done.id).finished_at, At(-1400));
  EXPECT_EQ(Stored(today.id).state, TicketState::kWaiting);
  EXPECT_EQ(Stored(elsewhere.id).state, TicketState::kWaiting);
  EXPECT_EQ(Day("A", kBranch, yesterday).waiting, 0);
  EXPECT_EQ(Day("A").waiting, 1);
  ASSERT_OK(Tx([&](QueueTx& tx) {
    auto again = tx.ExpireBefore(kBranch, kDay, At(61));
    EXPECT_TRUE(again.ok() && again->empty()) << "nothing is left to expire";
    return again.status();
  }));
}

TEST_P(QueueStoreContractTest, AFailedTransactionLeavesNoneOfItsWrites) {
  const TicketRecord before = Issue("A", At(0));
  const Status refused = Tx([&](QueueTx& tx) {
    CSOPS_RETURN_IF_ERROR(tx.TakeNumber(kBranch, kDay, "A", 1).status());
    TicketRecord t = before;
    t.id = 0;
    t.display = "A099";
    t.idempotency_key = "rolled-back";
    auto id = tx.InsertTicket(t);
    if (!id.ok()) return id.status();
    CSOPS_RETURN_IF_ERROR(
        tx.AppendEvent({*id, At(1), "kiosk", std::nullopt, TicketState::kWaiting, "", "A", ""}));
    TicketRecord after = before;
    after.state = TicketState::kCalled;
    after.counter_id = "1";
    CSOPS_RETURN_IF_ERROR(tx.SaveTicket(before, after));
    CSOPS_RETURN_IF_ERROR(tx.AppendEvent({before.id, At(1), "counter:1", TicketState::kWaiting,
                                          TicketState::kCalled, "1", "A", ""}));
    CounterRecord c;
    c.branch_id = kBranch;
    c.counter_id = "1";
    c.state = CounterState::kOpen;
    c.services = {"A"};
    c.changed_at = At(1);
    CSOPS_RETURN_IF_ERROR(tx.SaveCounter(c));
    CSOPS_RETURN_IF_ERROR(tx.RecordServiceTime(kBranch, kDay, "A", std::chrono::minutes(3)));
    CSOPS_RETURN_IF_ERROR(tx.SetLastCalled(kBranch, kDay, "A", before.display));
    CSOPS_RETURN_IF_ERROR(tx.InsertNotice(Notice(before, 0, At(1))));
    return Status::FailedPrecondition("counter 1 is closed");
  });
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused.message(), "counter 1 is closed") << "done gets the function's own status";

  const ServiceDay d = Day("A");
  EXPECT_EQ(d.last_number, 1);
  EXPECT_EQ(d.waiting, 1);
  EXPECT_EQ(d.last_called, "");
  EXPECT_EQ(d.service_samples, 0);
  EXPECT_EQ(Stored(before.id).state, TicketState::kWaiting);
  ASSERT_OK(store().Read([&](QueueReader& r) {
    EXPECT_FALSE(*r.FindByIdempotencyKey(kBranch, "rolled-back"));
    EXPECT_TRUE(r.Counters(kBranch)->empty());
    EXPECT_TRUE(r.PendingNotices(10)->empty());
    return Status();
  }));

  // A store error inside the transaction undoes the writes before it just the same.
  const Status clash = Tx([&](QueueTx& tx) {
    CSOPS_RETURN_IF_ERROR(tx.TakeNumber(kBranch, kDay, "A", 1).status());
    TicketRecord t = before;
    t.id = 0;  // the same display on the same day: the insert fails
    return tx.InsertTicket(t).status();
  });
  EXPECT_FALSE(clash.ok());
  EXPECT_EQ(Day("A").last_number, 1);
  EXPECT_EQ(Day("A").waiting, 1);
}

}  // namespace
}  // namespace csops::queue

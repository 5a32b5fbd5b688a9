#include "services/queue/queue_engine.h"

#include <gtest/gtest.h>

#include <thread>

#include "services/queue/queue_test_util.h"

namespace csops::queue {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(QueueEngineTest, NumbersAreConsecutivePerServiceAndZeroPadded) {
  QueueFixture f;
  EXPECT_EQ(f.Issue("A")->ticket.display, "A001");
  EXPECT_EQ(f.Issue("A")->ticket.display, "A002");
  EXPECT_EQ(f.Issue("B")->ticket.display, "B001");
  auto wide = TestBranch();
  wide.services[0].last_number = 9999;
  wide.services[0].width = 4;
  QueueFixture g(wide);
  EXPECT_EQ(g.Issue("A")->ticket.display, "A0001");
}

TEST(QueueEngineTest, SameIdempotencyKeyReturnsTheSameTicket) {
  QueueFixture f;
  auto first = f.Issue("A", PriorityClass::kNormal, "kiosk-7:0001");
  auto again = f.Issue("A", PriorityClass::kNormal, "kiosk-7:0001");
  ASSERT_OK(first.status());
  ASSERT_OK(again.status());
  EXPECT_EQ(first->ticket.display, again->ticket.display);
  EXPECT_EQ(f.Issue("A")->ticket.display, "A002");  // nothing was consumed by the retry
  auto clash = f.Issue("B", PriorityClass::kNormal, "kiosk-7:0001");
  EXPECT_EQ(clash.status().code(), StatusCode::kAlreadyExists);
  EXPECT_NE(clash.status().message().find("A001"), std::string::npos);
}

TEST(QueueEngineTest, ExhaustedRangeIsRefusedAndNeverWraps) {
  auto small = TestBranch();
  small.services[0].last_number = 3;
  small.services[0].width = 1;
  QueueFixture f(small);
  for (int i = 1; i <= 3; ++i) ASSERT_OK(f.Issue("A").status());
  auto r = f.Issue("A");
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("A1-A3"), std::string::npos) << r.status().message();
  EXPECT_EQ(f.Issue("A").status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(f.Issue("B")->ticket.display, "B001");  // other services are unaffected
}

TEST(QueueEngineTest, StrictOrderServesTheCountersFirstServiceFirst) {
  QueueFixture f;
  ASSERT_OK(f.Open("2").status());  // serves B then A
  f.Issue("A");
  f.clock.Advance(minutes(1));
  f.Issue("B");
  EXPECT_EQ(f.CallNumber("2"), "B001");
}

TEST(QueueEngineTest, OldestFirstServesTheLongestWaitAcrossServices) {
  auto b = TestBranch();
  b.policy = SelectionPolicy::kOldestFirst;
  QueueFixture f(b);
  ASSERT_OK(f.Open("2").status());
  f.Issue("A");
  f.clock.Advance(minutes(1));
  f.Issue("B");
  EXPECT_EQ(f.CallNumber("2"), "A001");
}

TEST(QueueEngineTest, PriorityGoesFirstButNormalIsNotStarved) {
  QueueFixture f;  // ratio 2 : 1
  ASSERT_OK(f.Open("1", {"A"}).status());
  for (int i = 0; i < 3; ++i) f.Issue("A");                            // A001-A003 normal
  for (int i = 0; i < 4; ++i) f.Issue("A", PriorityClass::kPriority);  // A004-A007 priority
  std::vector<std::string> order;
  for (std::string n; !(n = f.Serve("1")).empty();) order.push_back(n);
  EXPECT_EQ(order,
            (std::vector<std::string>{"A004", "A005", "A001", "A006", "A007", "A002", "A003"}));
}

TEST(QueueEngineTest, AccessibleCountsAsPriority) {
  QueueFixture f;
  ASSERT_OK(f.Open("1", {"A"}).status());
  f.Issue("A");
  f.Issue("A", PriorityClass::kAccessible);
  EXPECT_EQ(f.CallNumber("1"), "A002");
}

TEST(QueueEngineTest, TransferKeepsTheNumberAndGoesAheadOfWalkIns) {
  QueueFixture f;
  ASSERT_OK(f.Open("1", {"A"}).status());
  ASSERT_OK(f.Open("3").status());  // serves C
  f.Issue("A");
  f.Issue("C");
  f.Issue("C");
  ASSERT_EQ(f.CallNumber("1"), "A001");
  ASSERT_OK(f.Act("start", "1", "A001").status());
  auto moved = Await<TicketView>([&](auto done) {
    f.engine->Transfer({{"test", "1", "A001"}, "C", "", "needs meter change form"}, done);
  });
  ASSERT_OK(moved.status());
  EXPECT_EQ(moved->ticket.display, "A001");
  EXPECT_EQ(moved->ticket.service_code, "C");
  EXPECT_EQ(moved->ticket.state, TicketState::kWaiting);
  EXPECT_EQ(moved->people_ahead, 0);
  auto called = f.Call("3");
  ASSERT_TRUE(called->called);
  EXPECT_EQ(called->ticket.ticket.display, "A001");
  EXPECT_EQ(called->ticket.ticket.transfer_note, "needs meter change form");
}

TEST(QueueEngineTest, TransferToACounterIsCalledOnlyByThatCounter) {
  QueueFixture f;
  ASSERT_OK(f.Open("1").status());  // A, B
  ASSERT_OK(f.Open("2").status());  // B, A
  f.Issue("A");
  ASSERT_EQ(f.CallNumber("1"), "A001");
  ASSERT_OK(Await<TicketView>([&](auto done) {
              f.engine->Transfer({{"test", "1", "A001"}, "B", "2", ""}, done);
            }).status());
  EXPECT_EQ(f.CallNumber("1"), "");  // reserved for counter 2
  EXPECT_EQ(f.CallNumber("2"), "A001");
  auto bad = Await<TicketView>([&](auto done) {
    f.engine->Transfer({{"test", "2", "A001"}, "C", "1", ""}, done);
  });
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(bad.status().message().find("does not serve service C"), std::string::npos);
}

TEST(QueueEngineTest, RecallLimitTurnsTheTicketIntoANoShow) {
  QueueFixture f;  // max_calls 3
  ASSERT_OK(f.Open("1").status());
  f.Issue("A");
  ASSERT_EQ(f.CallNumber("1"), "A001");
  EXPECT_EQ(f.Act("recall", "1", "A001")->ticket.calls, 2);
  EXPECT_EQ(f.Act("recall", "1", "A001")->ticket.calls, 3);
  auto last = f.Act("recall", "1", "A001");
  ASSERT_OK(last.status());
  EXPECT_EQ(last->ticket.state, TicketState::kNoShow);
  // The counter is free again and the late customer can come back with the same number.
  auto back = f.Act("requeue", "", "A001");
  ASSERT_OK(back.status());
  EXPECT_EQ(back->ticket.state, TicketState::kWaiting);
  EXPECT_EQ(f.CallNumber("1"), "A001");
}

TEST(QueueEngineTest, DailyResetAcrossLocalMidnightRestartsNumbersAndExpiresLeftovers) {
  QueueFixture f;  // day starts 00:00 Asia/Taipei
  f.clock.Set(Taipei(2026, 3, 4, 23, 50));
  ASSERT_OK(f.Open("1").status());
  EXPECT_EQ(f.Issue("A")->ticket.display, "A001");
  EXPECT_EQ(f.Issue("A")->ticket.display, "A002");
  f.clock.Set(Taipei(2026, 3, 5, 0, 10));
  auto today = f.Issue("A");
  EXPECT_EQ(today->ticket.display, "A001");
  EXPECT_EQ(today->ticket.business_day, "2026-03-05");
  EXPECT_EQ(today->people_ahead, 0);  // yesterday's tickets are not ahead
  f.listener.Take();
  auto expired = Await<int>([&](auto done) { f.engine->ExpireStale("test", done); });
  ASSERT_OK(expired.status());
  EXPECT_EQ(*expired, 2);
  auto changes = f.listener.Take();
  ASSERT_FALSE(changes.empty());
  EXPECT_EQ(changes.front().kind, ChangeKind::kExpired);
  EXPECT_EQ(changes.front().count, 2);
  EXPECT_EQ(f.CallNumber("1"), "A001");  // today's; yesterday's never come back
  EXPECT_EQ(Await<int>([&](auto done) { f.engine->ExpireStale("test", done); }).value(), 0);
}

TEST(QueueEngineTest, BusinessDayStartShiftsTheReset) {
  auto b = TestBranch();
  b.day_start_minute = 5 * 60;  // 05:00
  QueueFixture f(b);
  f.clock.Set(Taipei(2026, 3, 5, 2, 0));
  EXPECT_EQ(f.Issue("A")->ticket.business_day, "2026-03-04");
  f.clock.Set(Taipei(2026, 3, 5, 5, 0));
  EXPECT_EQ(f.Issue("A")->ticket.business_day, "2026-03-05");
}

TEST(QueueEngineTest, CallNextSkipsServicesTheCounterDoesNotServe) {
  QueueFixture f;
  ASSERT_OK(f.Open("3").status());  // C only
  f.Issue("A");
  f.Issue("B");
  auto r = f.Call("3");
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->called);
  f.Issue("C");
  EXPECT_EQ(f.CallNumber("3"), "C001");
}

TEST(QueueEngineTest, OpeningACounterForAServiceItIsNotSetUpForIsRefused) {
  QueueFixture f;
  auto r = f.Open("3", {"A"});
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("not set up for service A"), std::string::npos);
}

TEST(QueueEngineTest, WrongStateErrorsNameTheState) {
  QueueFixture f;
  ASSERT_OK(f.Open("1").status());
  f.Issue("A");
  auto r = f.Act("start", "1", "A001");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("ticket A001 is 'waiting'"), std::string::npos)
      << r.status().message();
  ASSERT_EQ(f.CallNumber("1"), "A001");
  auto busy = f.Call("1");
  EXPECT_EQ(busy.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(busy.status().message().find("still holds ticket A001"), std::string::npos);
  auto other = f.Act("start", "2", "A001");
  EXPECT_NE(other.status().message().find("held by counter 1"), std::string::npos);
}

TEST(QueueEngineTest, UnknownNamesAreNotFoundAndMalformedFieldsInvalid) {
  QueueFixture f;
  EXPECT_EQ(f.Call("9").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.Issue("Z").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.Act("start", "1", "A999").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f.Act("start", "1", "23").status().code(), StatusCode::kInvalidArgument);
  auto closed = f.Call("1");
  EXPECT_NE(closed.status().message().find("counter 1 is 'closed'"), std::string::npos);
  auto bad_phone = f.Issue("A", PriorityClass::kNormal, "x", ContactKind::kSms, "call me");
  EXPECT_EQ(bad_phone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_phone.status().message().find("contact.address"), std::string::npos);
}

TEST(QueueEngineTest, ContactsNotifyWouldRefuseAreRefusedAtIssue) {
  QueueFixture f;
  const std::pair<ContactKind, const char*> bad[] = {
      {ContactKind::kSms, "0223456789"},  // a Taiwan landline: no SMS
      {ContactKind::kSms, "+1 415 555 0100"},
      {ContactKind::kEmail, "two@@at.example"},
      {ContactKind::kEmail, "sp ace@example.com"},
      {ContactKind::kEmail, "a@example"}};
  for (const auto& [kind, address] : bad) {
    auto r = f.Issue("A", PriorityClass::kNormal, "", kind, address);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << address;
    EXPECT_EQ(r.status().message().rfind("contact.address: ", 0), 0u) << r.status().message();
    EXPECT_EQ(r.status().message().find(address), std::string::npos);  // personal data
  }
  auto landline = f.Issue("A", PriorityClass::kNormal, "", ContactKind::kSms, "0223456789");
  EXPECT_NE(landline.status().message().find("landline"), std::string::npos);
  // The forms notify takes are taken, and the number is kept in notify's national form.
  ASSERT_OK(
      f.Issue("A", PriorityClass::kNormal, "m1", ContactKind::kSms, "+886 912-345-678").status());
  ASSERT_OK(f.Issue("A", PriorityClass::kNormal, "e1", ContactKind::kEmail, "chen@example.com.tw")
                .status());
  auto again = f.Issue("A", PriorityClass::kNormal, "m1", ContactKind::kSms, "+886 912-345-678");
  ASSERT_OK(again.status());
  EXPECT_EQ(again->ticket.contact_address, "0912345678");
}

TEST(QueueEngineTest, NothingIsWrittenWhenACommandFails) {
  QueueFixture f;
  f.listener.Take();
  EXPECT_FALSE(f.Issue("A", PriorityClass::kNormal, "", ContactKind::kEmail, "nope").ok());
  EXPECT_TRUE(f.listener.Take().empty());
  EXPECT_EQ(f.Issue("A")->ticket.display, "A001");  // no number was burnt
}

TEST(QueueEngineTest, NearTurnNoticeIsWrittenWhenFewEnoughAreAhead) {
  QueueFixture f;  // near_turn_ahead 3
  ASSERT_OK(f.Open("1", {"A"}).status());
  for (int i = 0; i < 5; ++i) f.Issue("A");
  auto remote = f.Issue("A", PriorityClass::kNormal, "app-1", ContactKind::kSms, "0912345678");
  ASSERT_OK(remote.status());
  EXPECT_EQ(remote->people_ahead, 5);
  EXPECT_TRUE(f.engine->ListNotices("test", 10)->empty());
  f.Serve("1");
  EXPECT_TRUE(f.engine->ListNotices("test", 10)->empty());  // 4 ahead
  f.Serve("1");                                             // 3 ahead: notify
  auto notices = f.engine->ListNotices("test", 10);
  ASSERT_OK(notices.status());
  ASSERT_EQ(notices->size(), 1u);
  EXPECT_EQ((*notices)[0].ticket_display, "A006");
  EXPECT_EQ((*notices)[0].people_ahead, 3);
  f.Serve("1");
  EXPECT_EQ(f.engine->ListNotices("test", 10)->size(), 1u);  // once only
}

TEST(QueueEngineTest, EstimateUsesPeopleAheadServiceTimeAndOpenCounters) {
  QueueFixture f;  // default service time 300 s
  ASSERT_OK(f.Open("1", {"A"}).status());
  f.Issue("A");
  f.Issue("A");
  auto third = f.Issue("A");
  EXPECT_EQ(third->people_ahead, 2);
  EXPECT_EQ(third->estimated_wait, seconds(600));
  ASSERT_OK(f.Open("2", {"A"}).status());
  EXPECT_EQ(f.engine->GetTicket("test", "A003")->estimated_wait, seconds(300));
  f.Serve("1", seconds(60));  // today's average becomes 60 s
  auto view = f.engine->GetTicket("test", "A003");
  EXPECT_EQ(view->people_ahead, 1);
  EXPECT_EQ(view->estimated_wait, seconds(30));  // 1 x 60 s / 2 counters
}

TEST(QueueEngineTest, FirstCallReportsWaitAndEstimateError) {
  QueueFixture f;
  ASSERT_OK(f.Open("1", {"A"}).status());
  f.Issue("A");
  f.Issue("A");  // estimated 300 s
  f.Serve("1", seconds(30));
  f.clock.Advance(minutes(11));
  f.listener.Take();
  ASSERT_EQ(f.CallNumber("1"), "A002");
  auto changes = f.listener.Take();
  ASSERT_EQ(changes.size(), 1u);
  ASSERT_TRUE(changes[0].wait.has_value());
  EXPECT_EQ(*changes[0].wait, minutes(11) + seconds(30));
  EXPECT_EQ(*changes[0].estimate_error, minutes(11) + seconds(30) - seconds(300));
  EXPECT_TRUE(changes[0].over_target);  // target 10 min
}

TEST(QueueEngineTest, CountersCannotCloseWhileHoldingATicket) {
  QueueFixture f;
  ASSERT_OK(f.Open("1").status());
  f.Issue("A");
  f.CallNumber("1");
  auto r = Await<CounterView>([&](auto done) { f.engine->CloseCounter("test", "1", done); });
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_OK(f.Act("no_show", "1", "A001").status());
  r = Await<CounterView>([&](auto done) { f.engine->CloseCounter("test", "1", done); });
  ASSERT_OK(r.status());
  EXPECT_EQ(r->state, CounterState::kClosed);
}

TEST(QueueEngineTest, SnapshotShowsQueuesAndCounters) {
  QueueFixture f;
  ASSERT_OK(f.Open("1").status());
  f.Issue("A");
  f.clock.Advance(minutes(4));
  f.Issue("A");
  f.Issue("B");
  auto snap = f.engine->Snapshot("test");
  ASSERT_OK(snap.status());
  EXPECT_EQ(snap->services[0].waiting, 2);
  EXPECT_EQ(snap->services[0].oldest_wait, minutes(4));
  EXPECT_EQ(snap->services[0].open_counters, 1);
  EXPECT_EQ(snap->services[1].waiting, 1);
  f.CallNumber("1");
  snap = f.engine->Snapshot("test");
  EXPECT_EQ(snap->counters[0].current_ticket, "A001");
  EXPECT_EQ(snap->counters[0].state, CounterState::kOpen);
  EXPECT_EQ(snap->counters[2].state, CounterState::kClosed);
  EXPECT_EQ(snap->services[0].last_called, "A001");
  // Recent calls: newest first, a recall moves a number up, at most kRecentCalls.
  ASSERT_OK(f.Open("2", {"B"}).status());
  f.clock.Advance(minutes(1));
  EXPECT_EQ(f.CallNumber("2"), "B001");
  f.clock.Advance(minutes(1));
  ASSERT_OK(f.Act("recall", "1", "A001").status());
  snap = f.engine->Snapshot("test");
  ASSERT_EQ(snap->recent_calls.size(), 2u);
  EXPECT_EQ(snap->recent_calls[0].ticket_display, "A001");
  EXPECT_EQ(snap->recent_calls[0].counter_id, "1");
  EXPECT_EQ(snap->recent_calls[1].ticket_display, "B001");
  EXPECT_EQ(snap->recent_calls[1].counter_id, "2");
  ASSERT_OK(f.Open("3").status());
  for (int i = 0; i < 12; ++i) {
    f.Issue("C");
    f.clock.Advance(seconds(10));
    f.Serve("3", seconds(5));
  }
  snap = f.engine->Snapshot("test");
  EXPECT_EQ(snap->recent_calls.size(), static_cast<std::size_t>(QueueEngine::kRecentCalls));
  EXPECT_EQ(snap->recent_calls[0].ticket_display, "C012");
}

TEST(QueueEngineTest, ReportCountsVisitsWaitsAgainstTargetNoShowsAndRatings) {
  QueueFixture f;  // target wait 10 min for every service
  const Instant day_start = f.clock.Now();
  ASSERT_OK(f.Open("1", {"A"}).status());
  f.Issue("A");  // A001: waits 4 min, completed (rating 5)
  f.Issue("A");  // A002: waits 12 min, over target; a no-show
  f.Issue("A");  // A003: cancelled while waiting
  f.Issue("B");  // B001: never called
  f.clock.Advance(minutes(4));
  ASSERT_EQ(f.Serve("1"), "A001");  // 2 min of service
  f.clock.Advance(minutes(6));
  ASSERT_EQ(f.CallNumber("1"), "A002");
  ASSERT_OK(f.Act("no_show", "1", "A002").status());
  ASSERT_OK(f.Act("cancel", "", "A003").status());
  const Instant end = f.clock.Now() + minutes(1);

  auto r = f.engine->Report(day_start, end, "test");
  ASSERT_OK(r.status());
  ASSERT_EQ(r->services.size(), 3u);  // A, B and the idle C are all listed
  const ServiceVisits& a = r->services[0];
  EXPECT_EQ(a.code, "A");
  EXPECT_EQ(a.name_zh_tw, "服務A");
  EXPECT_EQ(a.target_wait, minutes(10));
  EXPECT_EQ(a.issued, 3);
  EXPECT_EQ(a.called, 2);
  EXPECT_EQ(a.called_within_target, 1);
  EXPECT_DOUBLE_EQ(a.ShareWithinTarget(), 0.5);
  EXPECT_EQ(a.median_wait, minutes(4));
  EXPECT_EQ(a.p90_wait, minutes(12));
  EXPECT_DOUBLE_EQ(a.mean_wait_ms, static_cast<double>(Duration(minutes(8)).count()));
  // 4 min falls in the first bucket (<= 5 min), 12 min in the third (<= 15 min).
  EXPECT_EQ(a.wait_buckets[0], 1);
  EXPECT_EQ(a.wait_buckets[2], 1);
  EXPECT_EQ(a.completed, 1);
  EXPECT_EQ(a.no_shows, 1);
  EXPECT_EQ(a.cancelled, 1);
  EXPECT_EQ(a.ratings[4], 1);
  EXPECT_DOUBLE_EQ(a.MeanRating(), 5.0);
  EXPECT_EQ(r->services[1].issued, 1);
  EXPECT_EQ(r->services[1].called, 0);
  EXPECT_EQ(r->services[2].issued, 0);
  EXPECT_EQ(r->total.issued, 4);
  EXPECT_EQ(r->total.called, 2);

  // A period after the first call counts its finish but neither the issue nor the wait.
  auto later = f.engine->Report(day_start + minutes(5), end, "");
  ASSERT_OK(later.status());
  EXPECT_EQ(later->total.issued, 0);
  EXPECT_EQ(later->total.called, 1);  // A002 first called at +10 min
  EXPECT_EQ(later->total.completed, 1);
  EXPECT_EQ(later->total.no_shows, 1);

  EXPECT_EQ(f.engine->Report(end, day_start, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f.engine->Report(day_start, end, "nowhere").status().code(), StatusCode::kNotFound);
}

// Replicas: a counter opened through another process counts once the entry is older than its
// max age; with the default it is kept for good (one process sees every change itself).
TEST(OpenCounterCacheTest, AnEntryOlderThanItsMaxAgeIsReadAgain) {
  CounterRecord open;
  open.counter_id = "c1";
  open.state = CounterState::kOpen;
  open.services = {"A"};
  OpenCounterCache kept;
  kept.Load("hq", {open});
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(kept.CountFor("hq", "A"), 1);

  OpenCounterCache shared;
  shared.set_max_age(std::chrono::milliseconds(20));
  shared.Load("hq", {open});
  EXPECT_EQ(shared.CountFor("hq", "A"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(shared.CountFor("hq", "A"), std::nullopt);  // read the store again
  CounterRecord other = open;
  other.counter_id = "c2";
  shared.Load("hq", {open, other});  // what the store holds now, with another replica's
  EXPECT_EQ(shared.CountFor("hq", "A"), 2);
}

}  // namespace
}  // namespace csops::queue

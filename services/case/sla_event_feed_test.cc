#include "services/case/sla_event_feed.h"

#include <gtest/gtest.h>

#include <random>

namespace csops::cases {
namespace {

using Feed = SlaEventFeed<std::string>;
using Step = Feed::Step;

Feed::Item Ev(std::int64_t cursor) { return {cursor, "e" + std::to_string(cursor)}; }
std::vector<Feed::Item> Page(std::initializer_list<std::int64_t> cursors) {
  std::vector<Feed::Item> out;
  for (auto c : cursors) out.push_back(Ev(c));
  return out;
}
std::vector<std::int64_t> Drain(Feed& f) {
  std::vector<std::int64_t> out;
  while (f.Next() == Step::kWrite) out.push_back(f.Pop().cursor);
  return out;
}
using V = std::vector<std::int64_t>;

TEST(SlaEventFeedTest, WithoutACursorEventsGoStraightThrough) {
  Feed f(std::nullopt, 8);
  EXPECT_EQ(f.Next(), Step::kIdle);
  f.Live(Ev(5));
  f.Live(Ev(6));
  EXPECT_EQ(Drain(f), (V{5, 6}));
  EXPECT_EQ(f.Next(), Step::kIdle);
}

TEST(SlaEventFeedTest, AResumeGetsTheStoredEventsThenTheLiveOnesWithoutGapOrRepeat) {
  Feed f(2, 8);
  ASSERT_EQ(f.Next(), Step::kRead);
  EXPECT_EQ(f.BeginRead(), 2);
  EXPECT_EQ(f.Next(), Step::kIdle);  // one read at a time
  f.Live(Ev(4));                     // committed before the read saw the store
  f.Live(Ev(5));                     // committed after
  f.OnPage(Page({3, 4}), /*full=*/false);
  EXPECT_FALSE(f.catching_up());
  EXPECT_EQ(Drain(f), (V{3, 4, 5}));
  f.Live(Ev(5));  // a late publish of one already sent is not repeated
  f.Live(Ev(6));
  EXPECT_EQ(Drain(f), (V{6}));
}

TEST(SlaEventFeedTest, FullPagesAreReadOneAfterAnotherOnceTheQueueIsWritten) {
  Feed f(0, 8);
  f.BeginRead();
  f.Live(Ev(9));
  f.OnPage(Page({1, 2, 3}), /*full=*/true);
  EXPECT_TRUE(f.catching_up());
  EXPECT_EQ(f.Pop().cursor, 1);
  EXPECT_EQ(f.Next(), Step::kWrite);  // no read before the page is written
  EXPECT_EQ(Drain(f), (V{2, 3}));
  ASSERT_EQ(f.Next(), Step::kRead);
  EXPECT_EQ(f.BeginRead(), 3);
  f.OnPage(Page({4, 5, 6, 7, 8, 9}), /*full=*/false);
  EXPECT_EQ(Drain(f), (V{4, 5, 6, 7, 8, 9}));
  EXPECT_FALSE(f.catching_up());
}

TEST(SlaEventFeedTest, LiveEventsDroppedWhileCatchingUpAreReadFromTheStore) {
  Feed f(0, 2);
  f.BeginRead();
  for (int c = 1; c <= 5; ++c) f.Live(Ev(c));  // the buffer of 2 overflows
  f.OnPage(Page({1, 2}), /*full=*/false);      // short, but events were dropped meanwhile
  EXPECT_TRUE(f.catching_up());
  EXPECT_EQ(Drain(f), (V{1, 2}));
  ASSERT_EQ(f.Next(), Step::kRead);
  EXPECT_EQ(f.BeginRead(), 2);
  f.OnPage(Page({3, 4, 5}), /*full=*/false);
  EXPECT_EQ(Drain(f), (V{3, 4, 5}));
  EXPECT_FALSE(f.catching_up());
}

TEST(SlaEventFeedTest, AWatcherThatStopsReadingCatchesUpAfterTheLastEventItWasGiven) {
  Feed f(std::nullopt, 2);
  f.Live(Ev(1));
  EXPECT_EQ(f.Pop().cursor, 1);  // being written; the client stops reading
  f.Live(Ev(2));
  f.Live(Ev(3));
  f.Live(Ev(4));  // the queue of 2 overflows
  EXPECT_TRUE(f.catching_up());
  ASSERT_EQ(f.Next(), Step::kRead);
  EXPECT_EQ(f.BeginRead(), 1);
  f.Live(Ev(5));
  f.OnPage(Page({2, 3, 4}), /*full=*/false);
  EXPECT_EQ(Drain(f), (V{2, 3, 4, 5}));
}

TEST(SlaEventFeedTest, ALiveOnlyWatcherThatFallsBehindIsNotGivenOlderEvents) {
  Feed f(std::nullopt, 2);
  for (int c = 7; c <= 10; ++c) f.Live(Ev(c));  // 1-6 were recorded before it subscribed
  ASSERT_EQ(f.Next(), Step::kRead);
  EXPECT_EQ(f.BeginRead(), 6);
  f.OnPage(Page({7, 8, 9, 10}), /*full=*/false);
  EXPECT_EQ(Drain(f), (V{7, 8, 9, 10}));
}

// Commits, publishes, reads, store snapshots and writes interleaved at random: the stream is
// always exactly the events after the cursor, in order.
TEST(SlaEventFeedTest, AnyInterleavingGivesEveryEventAfterTheCursorOnceInOrder) {
  constexpr int kRounds = 5000;
  std::mt19937 rng(15);
  for (int round = 0; round < kRounds; ++round) {
    const std::int64_t before = rng() % 6;  // committed and published before the watcher came
    const std::int64_t after = rng() % (before + 1);
    const std::size_t max_queued = 1 + rng() % 4;
    const int page_limit = 1 + static_cast<int>(rng() % 3);
    Feed f(round % 7 == 0 ? std::nullopt : std::optional<std::int64_t>(after), max_queued);
    const std::int64_t from = round % 7 == 0 ? before : after;
    std::int64_t committed = before, published = before;
    bool reading = false;  // BeginRead done, store not read yet
    std::int64_t read_after = 0;
    std::optional<std::vector<Feed::Item>> got;  // store read, OnPage not called yet
    bool got_full = false;
    std::vector<std::int64_t> out;
    const std::int64_t total = before + static_cast<std::int64_t>(rng() % 12);
    for (int steps = 0; steps < 10000; ++steps) {
      const unsigned pick = rng() % 6;
      if (pick == 0 && committed < total) {
        ++committed;
      } else if (pick == 1 && published < committed) {
        f.Live(Ev(++published));
      } else if (pick == 2 && !reading && !got && f.Next() == Step::kRead) {
        read_after = f.BeginRead();
        reading = true;
      } else if (pick == 3 && reading) {
        std::vector<Feed::Item> page;
        for (std::int64_t c = read_after + 1;
             c <= committed && static_cast<int>(page.size()) < page_limit; ++c)
          page.push_back(Ev(c));
        got_full = static_cast<int>(page.size()) == page_limit;
        got = std::move(page);
        reading = false;
      } else if (pick == 4 && got) {
        f.OnPage(std::move(*got), got_full);
        got.reset();
      } else if (pick == 5 && f.Next() == Step::kWrite) {
        out.push_back(f.Pop().cursor);
      }
      const bool settled =
          committed == total && published == total && !reading && !got && f.Next() == Step::kIdle;
      if (settled) break;
    }
    std::vector<std::int64_t> want;
    for (std::int64_t c = from + 1; c <= total; ++c) want.push_back(c);
    ASSERT_EQ(out, want) << "round " << round << " after " << after << " before " << before
                         << " max_queued " << max_queued << " page " << page_limit;
    ASSERT_FALSE(f.catching_up()) << "round " << round;
  }
}

// The PostgreSQL store answers its commits on several threads, so events may be published out
// of cursor order (each after its own commit; cursors still follow commit order). A resumed
// stream must still give every event after its cursor once, in order.
TEST(SlaEventFeedTest, EventsPublishedOutOfOrderStillComeOnceInOrder) {
  constexpr int kRounds = 5000;
  std::mt19937 rng(17);
  for (int round = 0; round < kRounds; ++round) {
    const std::int64_t after = rng() % 4;
    const std::size_t max_queued = 1 + rng() % 4;
    const int page_limit = 1 + static_cast<int>(rng() % 3);
    Feed f(after, max_queued);
    std::int64_t committed = after;
    std::vector<std::int64_t> unpublished;  // committed, not published yet
    bool reading = false;
    std::int64_t read_after = 0;
    std::optional<std::vector<Feed::Item>> got;
    bool got_full = false;
    std::vector<std::int64_t> out;
    const std::int64_t total = after + static_cast<std::int64_t>(rng() % 12);
    for (int steps = 0; steps < 10000; ++steps) {
      const unsigned pick = rng() % 6;
      if (pick == 0 && committed < total) {
        unpublished.push_back(++committed);
      } else if (pick == 1 && !unpublished.empty()) {
        const std::size_t i = rng() % unpublished.size();
        f.Live(Ev(unpublished[i]));
        unpublished.erase(unpublished.begin() + static_cast<std::ptrdiff_t>(i));
      } else if (pick == 2 && !reading && !got && f.Next() == Step::kRead) {
        read_after = f.BeginRead();
        reading = true;
      } else if (pick == 3 && reading) {
        std::vector<Feed::Item> page;
        for (std::int64_t c = read_after + 1;
             c <= committed && static_cast<int>(page.size()) < page_limit; ++c)
          page.push_back(Ev(c));
        got_full = static_cast<int>(page.size()) == page_limit;
        got = std::move(page);
        reading = false;
      } else if (pick == 4 && got) {
        f.OnPage(std::move(*got), got_full);
        got.reset();
      } else if (pick == 5 && f.Next() == Step::kWrite) {
        out.push_back(f.Pop().cursor);
      }
      if (committed == total && unpublished.empty() && !reading && !got && f.Next() == Step::kIdle)
        break;
    }
    std::vector<std::int64_t> want;
    for (std::int64_t c = after + 1; c <= total; ++c) want.push_back(c);
    ASSERT_EQ(out, want) << "round " << round << " after " << after << " max_queued " << max_queued
                         << " page " << page_limit;
    ASSERT_FALSE(f.catching_up()) << "round " << round;
  }
}

TEST(SlaCursorTest, OnlyADecimalCursorOrNothingIsAccepted) {
  EXPECT_FALSE(ParseSlaCursor("")->has_value());
  EXPECT_EQ(**ParseSlaCursor("0"), 0);
  EXPECT_EQ(**ParseSlaCursor("42"), 42);
  EXPECT_EQ(**ParseSlaCursor("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"-1", "+1", "01", "1.5", " 1", "1 ", "abc", "9223372036854775808",
                          "99999999999999999999", "0x10"}) {
    auto r = ParseSlaCursor(bad);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("after_cursor"), std::string::npos) << bad;
  }
  auto esc = ParseSlaCursor(std::string("\x1b[2J\"\n", 6));
  EXPECT_NE(esc.status().message().find("\"\\x1b[2J\\\"\\x0a\""), std::string::npos)
      << esc.status().message();
}

}  // namespace
}  // namespace csops::cases

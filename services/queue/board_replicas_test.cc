// Two replicas of the queue on one PostgreSQL database (two Database objects, two engines, two
// hubs each fed by its BoardLogFeed): a change committed through one reaches a watcher of the
// other within 1 s, and both number every event of a branch alike, in commit order, even
// when both replicas commit at once; and the log itself: pruning keeps the numbering, payloads
// are bytes. Real time: the feeds poll the log.
#include <gtest/gtest.h>

#include <condition_variable>
#include <future>

#include "common/postgres/test_cluster.h"
#include "services/queue/api/board_log_feed.h"
#include "services/queue/queue_test_util.h"
#include "services/queue/store/postgres/postgres_board_log.h"
#include "services/queue/store/postgres/postgres_queue_store.h"

namespace csops::queue {
namespace {

using Steady = std::chrono::steady_clock;

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr auto kMaxDelay = std::chrono::seconds(5);  // sanitizers slow everything down
#else
constexpr auto kMaxDelay = std::chrono::seconds(1);
#endif

class Recorder final : public BoardSink {
 public:
  struct Got {
    std::int64_t sequence;
    v1::BoardEventKind kind;
    std::string ticket;
    Steady::time_point at;
  };
  void Deliver(std::shared_ptr<const v1::BoardEvent> e) override {
    std::lock_guard<std::mutex> lock(mu_);
    got_.push_back({e->sequence(), e->kind(), e->ticket_number(), Steady::now()});
    cv_.notify_all();
  }
  // Waits until an event of `kind` for `ticket` has arrived; its receipt time, or nullopt.
  std::optional<Steady::time_point> WaitFor(v1::BoardEventKind kind, const std::string& ticket,
                                            std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    std::optional<Steady::time_point> at;
    cv_.wait_for(lock, timeout, [&] {
      for (const Got& g : got_)
        if (g.kind == kind && g.ticket == ticket) at = g.at;
      return at.has_value();
    });
    return at;
  }
  bool WaitForCount(std::size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return got_.size() >= n; });
  }
  // (sequence, kind, ticket) of everything so far.
  std::vector<std::tuple<std::int64_t, int, std::string>> Seen() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::tuple<std::int64_t, int, std::string>> out;
    for (const Got& g : got_) out.emplace_back(g.sequence, g.kind, g.ticket);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Got> got_;  // guarded by mu_
};

// One csopsd's queue on the shared database.
class Replica {
 public:
  Replica(const std::string& dsn, const Clock& clock) {
    postgres::DatabaseOptions o;
    o.dsn = dsn;
    o.name = "queue";
    o.pool_size = 4;
    o.migrations = PostgresQueueStore::Migrations();
    auto db = postgres::Database::Open(std::move(o));
    EXPECT_OK(db.status());
    if (!db.ok()) std::abort();
    db_ = std::move(*db);
    store_ = std::make_unique<PostgresQueueStore>(*db_);
    log_ = std::make_unique<PostgresBoardLog>(*db_);
    feed_ = std::make_unique<BoardLogFeed>(*log_, hub, clock);
    engine = std::make_unique<QueueEngine>(clock,
                                           std::vector<std::shared_ptr<const BranchModel>>{
                                               std::make_shared<const BranchModel>(TestBranch())},
                                           *store_, *feed_);
    feed_->Start();
  }
  ~Replica() {
    feed_->Stop();
    db_->Close();
  }

  std::string Issue(const std::string& service) {
    IssueCommand c{"test",
                   service,
                   PriorityClass::kNormal,
                   Channel::kKiosk,
                   ContactKind::kNone,
                   "",
                   "k" + std::to_string(++keys_) + this_key_};
    auto t = Await<TicketView>([&](auto done) { engine->Issue(c, done); });
    EXPECT_OK(t.status());
    return t.ok() ? t->ticket.display : "";
  }
  std::string Call(const std::string& counter) {
    auto r = Await<CallResult>([&](auto done) { engine->CallNext("test", counter, done); });
    EXPECT_OK(r.status());
    return r.ok() && r->called ? r->ticket.ticket.display : "";
  }
  void Open(const std::string& counter) {
    EXPECT_OK(Await<CounterView>([&](auto done) {
                engine->OpenCounter("test", counter, "E100", {}, done);
              }).status());
  }

  BoardHub hub;
  std::unique_ptr<QueueEngine> engine;

 private:
  std::unique_ptr<postgres::Database> db_;
  std::unique_ptr<PostgresQueueStore> store_;
  std::unique_ptr<PostgresBoardLog> log_;
  std::unique_ptr<BoardLogFeed> feed_;
  int keys_ = 0;
  const std::string this_key_ = "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
};

class BoardReplicasTest : public ::testing::Test {
 protected:
  BoardReplicasTest()
      : clock(Taipei(2026, 3, 4, 9, 0)), dsn(postgres::TestCluster::Shared().NewDatabase()) {}
  FakeClock clock;
  std::string dsn;
};

TEST_F(BoardReplicasTest, ACallThroughOneReplicaReachesAWatcherOfTheOtherWithinASecond) {
  Replica a(dsn, clock), b(dsn, clock);
  Recorder on_a, on_b;
  a.hub.Subscribe("test", &on_a);
  b.hub.Subscribe("test", &on_b);

  a.Open("1");
  const std::string ticket = a.Issue("A");
  const auto committed = Steady::now();
  ASSERT_EQ(a.Call("1"), ticket);
  const auto called_on_b = on_b.WaitFor(v1::BOARD_EVENT_KIND_CALLED, ticket, kMaxDelay * 2);
  ASSERT_TRUE(called_on_b.has_value()) << "replica B's watcher never saw the call";
  const auto delay = *called_on_b - committed;
  EXPECT_LT(delay, kMaxDelay) << "the call took "
                              << std::chrono::duration_cast<Duration>(delay).count()
                              << " ms to reach replica B";
  std::cout << "call through A seen on B after "
            << std::chrono::duration_cast<std::chrono::microseconds>(delay).count() / 1000.0
            << " ms\n";

  ASSERT_TRUE(on_a.WaitForCount(3, kMaxDelay));
  // The same events under the same numbers on both, in order: opened, issued, called.
  const auto seen = on_b.Seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(on_a.Seen(), seen);
  EXPECT_EQ(std::get<1>(seen[0]), v1::BOARD_EVENT_KIND_COUNTER_CHANGED);
  EXPECT_EQ(std::get<1>(seen[1]), v1::BOARD_EVENT_KIND_ISSUED);
  EXPECT_EQ(std::get<1>(seen[2]), v1::BOARD_EVENT_KIND_CALLED);
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(std::get<0>(seen[i]), static_cast<std::int64_t>(i) + 1);
  EXPECT_EQ(a.hub.LastSequence("test"), 3);
  EXPECT_EQ(b.hub.LastSequence("test"), 3);
  a.hub.Unsubscribe("test", &on_a);
  b.hub.Unsubscribe("test", &on_b);
}

TEST_F(BoardReplicasTest, BothReplicasCommittingAtOnceNumberEveryEventAlike) {
  Replica a(dsn, clock), b(dsn, clock);
  Recorder on_a, on_b;
  a.hub.Subscribe("test", &on_a);
  b.hub.Subscribe("test", &on_b);
  constexpr int kEach = 40;
  std::thread ta([&] {
    for (int i = 0; i < kEach; ++i) a.Issue("A");
  });
  std::thread tb([&] {
    for (int i = 0; i < kEach; ++i) b.Issue("B");
  });
  ta.join();
  tb.join();
  ASSERT_TRUE(on_a.WaitForCount(2 * kEach, kMaxDelay));
  ASSERT_TRUE(on_b.WaitForCount(2 * kEach, kMaxDelay));
  const auto seen = on_a.Seen();
  EXPECT_EQ(on_b.Seen(), seen);
  ASSERT_EQ(seen.size(), 2u * kEach);
  for (std::size_t i = 0; i < seen.size(); ++i)
    EXPECT_EQ(std::get<0>(seen[i]), static_cast<std::int64_t>(i) + 1) << "a gap or a repeat";
  // Each replica's own tickets in their order (appends of one process keep commit order).
  std::vector<std::string> from_a, from_b;
  for (const auto& s : seen) (std::get<2>(s)[0] == 'A' ? from_a : from_b).push_back(std::get<2>(s));
  EXPECT_TRUE(std::is_sorted(from_a.begin(), from_a.end()));
  EXPECT_TRUE(std::is_sorted(from_b.begin(), from_b.end()));
  a.hub.Unsubscribe("test", &on_a);
  b.hub.Unsubscribe("test", &on_b);
}

TEST_F(BoardReplicasTest, AReplicaStartingLaterContinuesTheNumbersWithoutReplayingThem) {
  Replica a(dsn, clock);
  a.Issue("A");
  a.Issue("A");
  // The appends follow the commits: wait until A has read both back.
  ASSERT_TRUE(Eventually([&] { return a.hub.LastSequence("test") == 2; }));
  auto late = std::make_unique<Replica>(dsn, clock);
  EXPECT_EQ(late->hub.LastSequence("test"), 2);  // the head, taken before anyone watches
  Recorder on_late;
  late->hub.Subscribe("test", &on_late);
  const std::string third = a.Issue("A");
  ASSERT_TRUE(on_late.WaitFor(v1::BOARD_EVENT_KIND_ISSUED, third, kMaxDelay).has_value());
  const auto seen = on_late.Seen();
  ASSERT_EQ(seen.size(), 1u) << "the events before the start were replayed";
  EXPECT_EQ(std::get<0>(seen[0]), 3);
  late->hub.Unsubscribe("test", &on_late);
}

TEST_F(BoardReplicasTest, PruningDropsOldEntriesAndKeepsTheNumbering) {
  postgres::DatabaseOptions o;
  o.dsn = dsn;
  o.name = "queue";
  o.pool_size = 1;
  o.migrations = PostgresQueueStore::Migrations();
  auto db = postgres::Database::Open(std::move(o));
  ASSERT_OK(db.status());
  PostgresBoardLog log(**db);
  auto append = [&](std::vector<std::string> payloads, Instant at) {
    std::promise<Status> done;
    log.Append("test", std::move(payloads), at, [&](const Status& s) { done.set_value(s); });
    return done.get_future().get();
  };
  const Instant day1 = clock.Now();
  ASSERT_OK(append({"a", std::string("\0\xff", 2)}, day1));
  ASSERT_OK(append({"c"}, day1 + std::chrono::hours(25)));

  auto pruned = log.Prune(day1 + std::chrono::hours(1));
  ASSERT_OK(pruned.status());
  EXPECT_EQ(*pruned, 2);
  auto left = log.After("test", 0, 10);
  ASSERT_OK(left.status());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].sequence, 3);
  EXPECT_EQ((*left)[0].payload, "c");
  auto heads = log.Heads();
  ASSERT_OK(heads.status());
  EXPECT_EQ(heads->at("test"), 3);
  // The next entry is numbered after the head, not after what is left.
  ASSERT_OK(append({"d"}, day1 + std::chrono::hours(26)));
  left = log.After("test", 3, 10);
  ASSERT_OK(left.status());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].sequence, 4);
  (*db)->Close();
}

TEST_F(BoardReplicasTest, PayloadsComeBackByteForByte) {
  postgres::DatabaseOptions o;
  o.dsn = dsn;
  o.name = "queue";
  o.pool_size = 1;
  o.migrations = PostgresQueueStore::Migrations();
  auto db = postgres::Database::Open(std::move(o));
  ASSERT_OK(db.status());
  PostgresBoardLog log(**db);
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  std::promise<Status> done;
  log.Append("b1", {all, ""}, clock.Now(), [&](const Status& s) { done.set_value(s); });
  ASSERT_OK(done.get_future().get());
  auto got = log.After("b1", 0, 10);
  ASSERT_OK(got.status());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].payload, all);
  EXPECT_EQ((*got)[0].sequence, 1);
  EXPECT_EQ((*got)[1].payload, "");
  EXPECT_EQ((*got)[1].sequence, 2);
  (*db)->Close();
}

}  // namespace
}  // namespace csops::queue

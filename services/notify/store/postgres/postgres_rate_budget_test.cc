// The rate budget the replicas share, on a throwaway PostgreSQL server and the real clock:
// three budgets on three Database objects (three replicas), each driven by its own threads as
// fast as they can, send no more than the limit together (over the run and over every
// one-second window), come within 5 % of it, and each gets a share; a lone replica gets the
// whole rate; providers do not share budgets; a step back of the server's clock stalls
// nothing; a replica whose database is away sends nothing and sends again once it is back.
#include "services/notify/store/postgres/postgres_rate_budget.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"
#include "services/notify/store/postgres/postgres_notify_store.h"

namespace csops::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

std::unique_ptr<postgres::Database> Open(const std::string& dsn) {
  postgres::DatabaseOptions o;
  o.dsn = dsn;
  o.name = "notify";
  o.pool_size = 2;
  o.migrations = PostgresNotifyStore::Migrations();
  auto db = postgres::Database::Open(std::move(o));
  EXPECT_OK(db.status());
  return db.ok() ? std::move(*db) : nullptr;
}

// When each send started, per replica.
using Sends = std::vector<std::vector<SteadyTime>>;

// Drives each budget with `threads` threads from `start` until `end`: each takes a slot, waits
// for its instant, and notes the instant it went on (a send that cannot start before `end` is
// not made).
Sends Drive(std::vector<RateBudget*> budgets, int threads, SteadyTime start, SteadyTime end) {
  Sends sends(budgets.size());
  std::vector<std::mutex> mus(budgets.size());
  std::vector<std::thread> running;
  for (std::size_t r = 0; r < budgets.size(); ++r) {
    for (int t = 0; t < threads; ++t) {
      running.emplace_back([&, r] {
        std::this_thread::sleep_until(start);
        for (;;) {
          auto slot = budgets[r]->Reserve();
          EXPECT_OK(slot.status());
          if (!slot.ok() || *slot >= end) return;
          std::this_thread::sleep_until(*slot);
          const SteadyTime sent = std::max(*slot, steady_clock::now());
          if (sent >= end) return;
          std::lock_guard<std::mutex> lock(mus[r]);
          sends[r].push_back(sent);
        }
      });
    }
  }
  for (auto& t : running) t.join();
  return sends;
}

// The most sends in any window of `width` (all replicas together).
std::size_t BusiestWindow(const Sends& sends, steady_clock::duration width) {
  std::vector<SteadyTime> all;
  for (const auto& s : sends) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  std::size_t best = 0;
  std::size_t lo = 0;
  for (std::size_t hi = 0; hi < all.size(); ++hi) {
    while (all[hi] - all[lo] >= width) ++lo;
    best = std::max(best, hi - lo + 1);
  }
  return best;
}

TEST(PostgresRateBudgetTest, ThreeReplicasTogetherSendWithinFivePercentOfTheLimit) {
  const std::string dsn = postgres::TestCluster::Shared().NewDatabase();
  constexpr double kRate = 500;
  prometheus::Registry registry;
  auto& grants = prometheus::BuildCounter().Name("grants").Register(registry);
  std::vector<std::unique_ptr<postgres::Database>> dbs;
  std::vector<std::unique_ptr<PostgresRateBudget>> budgets;
  std::vector<prometheus::Counter*> counters;
  for (int r = 0; r < 3; ++r) {
    dbs.push_back(Open(dsn));
    ASSERT_NE(dbs.back(), nullptr);
    counters.push_back(&grants.Add({{"replica", std::to_string(r)}}));
    budgets.push_back(
        std::make_unique<PostgresRateBudget>(*dbs.back(), "sms", kRate, counters.back()));
  }
  const SteadyTime start = steady_clock::now() + milliseconds(100);
  const SteadyTime end = start + seconds(3);
  const Sends sends = Drive({budgets[0].get(), budgets[1].get(), budgets[2].get()}, 4, start, end);

  std::size_t total = 0;
  double statements = 0;
  for (int r = 0; r < 3; ++r) {
    total += sends[r].size();
    statements += counters[r]->Value();
    // Each replica gets a share of the budget, not one of them all of it.
    EXPECT_GT(sends[r].size(), total / 20) << "replica " << r;
  }
  const double want = kRate * 3;
  std::printf(
      "3 replicas at %.0f/s for 3 s: %zu sends (%.2f%% of %.0f), shares %zu/%zu/%zu, "
      "busiest second %zu, %.0f grants (%.1f/s), lapsed %lld/%lld/%lld\n",
      kRate, total, 100.0 * static_cast<double>(total) / want, want, sends[0].size(),
      sends[1].size(), sends[2].size(), BusiestWindow(sends, seconds(1)), statements,
      statements / 3, static_cast<long long>(budgets[0]->lapsed()),
      static_cast<long long>(budgets[1]->lapsed()), static_cast<long long>(budgets[2]->lapsed()));
  EXPECT_LE(static_cast<double>(total), want * 1.05);
  EXPECT_GE(static_cast<double>(total), want * 0.95);
  EXPECT_LE(static_cast<double>(BusiestWindow(sends, seconds(1))), kRate * 1.05);
  // Runs of up to 50 ms of the budget: about 20 statements a second, not one per send.
  EXPECT_LT(statements / 3, 60);
}

TEST(PostgresRateBudgetTest, ALoneReplicaGetsTheWholeRate) {
  auto db = Open(postgres::TestCluster::Shared().NewDatabase());
  ASSERT_NE(db, nullptr);
  constexpr double kRate = 200;
  PostgresRateBudget budget(*db, "mail", kRate);
  const SteadyTime start = steady_clock::now() + milliseconds(100);
  const Sends sends = Drive({&budget}, 2, start, start + seconds(2));
  std::printf("1 replica at %.0f/s for 2 s: %zu sends\n", kRate, sends[0].size());
  EXPECT_GE(static_cast<double>(sends[0].size()), kRate * 2 * 0.95);
  EXPECT_LE(static_cast<double>(sends[0].size()), kRate * 2 * 1.05);
}

TEST(PostgresRateBudgetTest, ProvidersHaveBudgetsOfTheirOwn) {
  auto db = Open(postgres::TestCluster::Shared().NewDatabase());
  ASSERT_NE(db, nullptr);
  PostgresRateBudget a(*db, "sms_a", 100);
  PostgresRateBudget b(*db, "sms_b", 100);
  const SteadyTime start = steady_clock::now() + milliseconds(100);
  const Sends sends = Drive({&a, &b}, 2, start, start + seconds(1));
  for (int p = 0; p < 2; ++p) {
    EXPECT_GE(static_cast<double>(sends[p].size()), 95.0) << "provider " << p;
    EXPECT_LE(static_cast<double>(sends[p].size()), 105.0) << "provider " << p;
  }
}

// As if the server's clock had been an hour ahead at the last grant and was then set right:
// the next run starts now, not an hour later.
TEST(PostgresRateBudgetTest, AServerClockSteppedBackDoesNotStallTheBudget) {
  auto db = Open(postgres::TestCluster::Shared().NewDatabase());
  ASSERT_NE(db, nullptr);
  {
    PostgresRateBudget before(*db, "sms", 100);
    ASSERT_OK(before.Reserve().status());
  }
  ASSERT_OK(db->Write([](postgres::Connection& c) -> Status {
    return c
        .Run(
            "UPDATE csops_rate_budget SET tat = tat + interval '1 hour', "
            "at = at + interval '1 hour'")
        .status();
  }));
  PostgresRateBudget after(*db, "sms", 100);
  auto slot = after.Reserve();
  ASSERT_OK(slot.status());
  EXPECT_LT(*slot, steady_clock::now() + milliseconds(100));
}

// Last: it stops the shared server.
TEST(PostgresRateBudgetTest, NoSlotWhileTheDatabaseIsAwayAndSlotsAgainOnceItIsBack) {
  auto db = Open(postgres::TestCluster::Shared().NewDatabase());
  ASSERT_NE(db, nullptr);
  PostgresRateBudget budget(*db, "sms", 1000);
  ASSERT_OK(budget.Reserve().status());
  postgres::TestCluster::Shared().Stop();
  // What was granted before may still be spent; then no more.
  Status away;
  for (int i = 0; i < 200 && away.ok(); ++i) away = budget.Reserve().status();
  EXPECT_EQ(away.code(), StatusCode::kUnavailable) << away.ToString();
  postgres::TestCluster::Shared().Start();
  const auto give_up = steady_clock::now() + seconds(20);
  Status back = away;
  while (!back.ok() && steady_clock::now() < give_up) {
    std::this_thread::sleep_for(milliseconds(100));
    back = budget.Reserve().status();
  }
  EXPECT_OK(back);
}

}  // namespace
}  // namespace csops::notify

// The failed-look-up count of one process (SQLite): the limit, the one-minute window on the
// given clock, and clients counted apart.
#include "services/case/api/lookup_failures.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"

namespace csops::cases {
namespace {

constexpr int kLimit = FailureLedger::kLimit;

bool Allowed(FailureLedger& l, const std::string& client, Instant now) {
  auto r = l.Allowed(client, now);
  EXPECT_OK(r.status());
  return r.ok() && *r;
}

TEST(InMemoryFailureLedgerTest, RefusesAClientAfterTenFailuresForAMinute) {
  InMemoryFailureLedger ledger;
  const Instant t0 = FromUnixMillis(1700000000000);
  for (int i = 0; i < kLimit - 1; ++i) EXPECT_OK(ledger.Record("ip:10.0.0.7", t0));
  EXPECT_TRUE(Allowed(ledger, "ip:10.0.0.7", t0));
  EXPECT_OK(ledger.Record("ip:10.0.0.7", t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(Allowed(ledger, "ip:10.0.0.7", t0 + std::chrono::seconds(1)));
  EXPECT_TRUE(Allowed(ledger, "ip:10.0.0.8", t0 + std::chrono::seconds(1)));
  EXPECT_FALSE(Allowed(ledger, "ip:10.0.0.7", t0 + std::chrono::seconds(60)));
  // The first nine have expired; the tenth alone is below the limit.
  EXPECT_TRUE(Allowed(ledger, "ip:10.0.0.7", t0 + std::chrono::milliseconds(60001)));
  EXPECT_EQ(ledger.Count("ip:10.0.0.7", t0 + std::chrono::milliseconds(60001)), 1);
  EXPECT_EQ(ledger.Count("ip:10.0.0.7", t0 + std::chrono::seconds(62)), 0);
}

}  // namespace
}  // namespace csops::cases

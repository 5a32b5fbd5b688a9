// Membership on a real PostgreSQL server: replicas that join see each other, one whose
// heartbeat stops is listed silent after five heartbeats and counted so in the metrics, one
// that comes back under the same id replaces its old row, and one that leaves is gone.
#include "common/postgres/membership.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <thread>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"

namespace csops::postgres {
namespace {

using std::chrono::milliseconds;

class PgMembershipTest : public ::testing::Test {
 protected:
  void SetUp() override { dsn_ = TestCluster::Shared().NewDatabase(); }

  std::unique_ptr<Membership> Join(const std::string& id, prometheus::Registry* registry = nullptr,
                                   const std::string& version = "0.1.0") {
    MembershipOptions o;
    o.database.dsn = dsn_;
    o.self = {id, "host-" + id, version, "queue,case,notify"};
    o.heartbeat = milliseconds(100);
    o.registry = registry;
    auto m = Membership::Join(std::move(o));
    EXPECT_TRUE(m.ok()) << m.status().ToString();
    return m.ok() ? std::move(*m) : nullptr;
  }

  // The row a replica killed `ago` earlier left behind: nothing refreshes it any more.
  void Crashed(const std::string& id, const std::string& ago) {
    auto c = Connection::Open(dsn_, "cluster", "csops_cluster", false);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    auto r = (*c)->Run(
        "INSERT INTO replicas(id, host, version, targets, started_at, heartbeat_at) "
        "VALUES($1, 'h', '0.1.0', 'queue', now() - $2::interval, now() - $2::interval) "
        "ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at",
        {id, ago});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }

  static std::string Scrape(prometheus::Registry& r) {
    return prometheus::TextSerializer().Serialize(r.Collect());
  }

  std::string dsn_;
};

TEST_F(PgMembershipTest, ReplicasThatJoinSeeEachOtherAndALeaverIsGone) {
  auto a = Join("a"), b = Join("b");
  ASSERT_TRUE(a && b);
  auto seen = a->List();
  ASSERT_OK(seen.status());
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_EQ((*seen)[0].identity.id, "a");
  EXPECT_EQ((*seen)[1].identity.id, "b");
  EXPECT_EQ((*seen)[1].identity.host, "host-b");
  EXPECT_EQ((*seen)[1].identity.targets, "queue,case,notify");
  EXPECT_TRUE((*seen)[0].live && (*seen)[1].live);
  EXPECT_GT((*seen)[1].started_at_ms, 0);
  EXPECT_GE((*seen)[1].heartbeat_at_ms, (*seen)[1].started_at_ms);
  b->Leave();
  b->Leave();  // idempotent
  seen = a->List();
  ASSERT_OK(seen.status());
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].identity.id, "a");
}

TEST_F(PgMembershipTest, HeartbeatsKeepAReplicaLiveAndOneThatStopsIsSilent) {
  prometheus::Registry registry;
  auto a = Join("a", &registry), b = Join("b");
  ASSERT_TRUE(a && b);
  std::this_thread::sleep_for(milliseconds(700));  // seven heartbeats: b keeps itself live
  auto seen = a->List();
  ASSERT_OK(seen.status());
  ASSERT_EQ(seen->size(), 2u);
  EXPECT_TRUE((*seen)[1].live) << (*seen)[1].silent_seconds;
  EXPECT_LT((*seen)[1].silent_seconds, 0.5);

  Crashed("c", "2 seconds");  // twenty heartbeats ago
  seen = a->List();
  ASSERT_OK(seen.status());
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_FALSE((*seen)[2].live);
  EXPECT_GE((*seen)[2].silent_seconds, 2.0);
  std::this_thread::sleep_for(milliseconds(300));  // a's heartbeat reads the list again
  std::string text = Scrape(registry);
  EXPECT_NE(text.find("csops_cluster_replicas{state=\"live\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("csops_cluster_replicas{state=\"silent\"} 1"), std::string::npos) << text;

  // c restarts under its id: its row is its own again, live and freshly started.
  auto c = Join("c", nullptr, "0.2.0");
  ASSERT_TRUE(c);
  seen = a->List();
  ASSERT_OK(seen.status());
  ASSERT_EQ(seen->size(), 3u);
  EXPECT_TRUE((*seen)[2].live);
  EXPECT_EQ((*seen)[2].identity.version, "0.2.0");
  EXPECT_EQ((*seen)[2].identity.host, "host-c");
  std::this_thread::sleep_for(milliseconds(300));
  text = Scrape(registry);
  EXPECT_NE(text.find("csops_cluster_replicas{state=\"live\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("csops_cluster_replicas{state=\"silent\"} 0"), std::string::npos) << text;
}

TEST_F(PgMembershipTest, ARowSilentForAnHourIsRemovedByTheLiveReplicas) {
  auto a = Join("a");
  ASSERT_TRUE(a);
  Crashed("gone", "61 minutes");
  Crashed("recent", "59 minutes");
  std::this_thread::sleep_for(milliseconds(300));
  auto seen = a->List();
  ASSERT_OK(seen.status());
  std::vector<std::string> ids;
  for (const ReplicaRecord& r : *seen) ids.push_back(r.identity.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "recent"}));
}

TEST(DefaultReplicaIdTest, IsTheHostAndTheAbsoluteDataDirectory) {
  EXPECT_EQ(DefaultReplicaId("db1", "/var/lib/csops/1/"), "db1:/var/lib/csops/1");
  EXPECT_EQ(DefaultReplicaId("db1", "/srv/a b"), "db1:/srv/a_b");
  const std::string relative = DefaultReplicaId("h", "var");
  EXPECT_EQ(relative.rfind("h:/", 0), 0u) << relative;
  EXPECT_EQ(relative.substr(relative.size() - 4), "/var") << relative;
  const std::string deep = DefaultReplicaId("h", "/" + std::string(100, 'd') + "/replica-7");
  EXPECT_EQ(deep.size(), 64u);
  EXPECT_EQ(deep.substr(deep.size() - 10), "/replica-7");
  EXPECT_FALSE(HostName().empty());
}

}  // namespace
}  // namespace csops::postgres

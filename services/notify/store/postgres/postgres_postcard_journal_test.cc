// Postcard windows shared by two replicas on a real PostgreSQL server: each writer appends the
// cards it sends, only the lease holder prints, every window is one batch holding every
// replica's cards once, a card for a window printed already goes into the next, a printer that
// lost the lease while paused writes no file, and printed cards leave the database.
#include "services/notify/store/postgres/postgres_postcard_journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/testutil.h"
#include "common/postgres/test_cluster.h"
#include "services/notify/channels/postcard_writer.h"
#include "services/notify/store/postgres/postgres_notify_store.h"

namespace csops::notify {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr milliseconds kTtl{900};

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

OutgoingMessage Card(const std::string& id) {
  OutgoingMessage m;
  m.client_id = id;
  m.channel = Channel::kPostcard;
  m.recipient.name = "王小明";
  m.recipient.postal_address = {"100 台北市中正區", "羅斯福路一段 1 號"};
  m.message.body = "電費逾期未繳 " + id;
  return m;
}

// One replica: its connection pool, its lease keeper and its writer.
struct Replica {
  std::unique_ptr<postgres::Database> db;
  std::unique_ptr<postgres::LeaseKeeper> lease;
  PostgresPostcardJournal* journal = nullptr;  // owned by writer
  std::unique_ptr<PostcardWriter> writer;
};

class PgPostcardJournalTest : public ::testing::Test {
 protected:
  // 2026-03-03 10:05 UTC; hourly windows.
  PgPostcardJournalTest() : clock_(FromUnixMillis(1772532300000)) {}

  void SetUp() override {
    dsn_ = postgres::TestCluster::Shared().NewDatabase();
    a_ = Start("replica-a", dir_.path() + "/a");
    ASSERT_TRUE(a_.lease->held());  // the first one to start holds the batch lease
    b_ = Start("replica-b", dir_.path() + "/b");
    ASSERT_FALSE(b_.lease->held());
  }

  Replica Start(const std::string& id, const std::string& dir) {
    Replica r;
    postgres::DatabaseOptions o;
    o.dsn = dsn_;
    o.name = "notify";
    o.pool_size = 2;
    o.migrations = PostgresNotifyStore::Migrations();
    auto db = postgres::Database::Open(std::move(o));
    EXPECT_OK(db.status());
    if (!db.ok()) return r;
    r.db = std::move(*db);
    r.lease = std::make_unique<postgres::LeaseKeeper>(
        *r.db, PostgresPostcardJournal::LeaseName("mail_house"), id, kTtl);
    r.lease->Start();
    auto journal = std::make_unique<PostgresPostcardJournal>(*r.db, "mail_house", *r.lease);
    r.journal = journal.get();
    ProviderModel p;
    p.name = "mail_house";
    p.kind = ProviderKind::kPostcardFile;
    p.batch_window_minutes = 60;
    r.writer = std::make_unique<PostcardWriter>(p, dir, clock_, std::move(journal));
    return r;
  }

  std::int64_t Count(const std::string& sql) {
    std::int64_t n = -1;
    EXPECT_OK(a_.db->Read([&](postgres::Connection& c) -> Status {
      auto r = c.Query(sql);
      if (!r.ok()) return r.status();
      n = r->Int(0, 0);
      return Status::Ok();
    }));
    return n;
  }

  std::string dsn_;
  TempDir dir_;
  FakeClock clock_;
  Replica a_, b_;
};

TEST_F(PgPostcardJournalTest, OneBatchPerWindowWithEveryReplicasCardsOnce) {
  EXPECT_EQ(a_.writer->Send(Card("csops-1")).provider_message_id, "20260303T1000/csops-1");
  EXPECT_EQ(b_.writer->Send(Card("csops-2")).provider_message_id, "20260303T1000/csops-2");
  b_.writer->Send(Card("csops-1"));  // a retry on the other replica after a crash
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(b_.writer->FlushEnded(clock_.Now()), 0);  // not the holder
  EXPECT_EQ(a_.writer->FlushEnded(clock_.Now()), 1);
  EXPECT_FALSE(fs::exists(dir_.path() + "/b/postcards-20260303T1000.csv"));
  const std::string csv = Slurp(dir_.path() + "/a/postcards-20260303T1000.csv");
  EXPECT_NE(csv.find("\"csops-1\""), std::string::npos);
  EXPECT_NE(csv.find("\"csops-2\""), std::string::npos);
  EXPECT_EQ(csv.find("\"csops-1\""), csv.rfind("\"csops-1\""));
  EXPECT_NE(Slurp(dir_.path() + "/a/postcards-20260303T1000.manifest.json").find("\"cards\": 2"),
            std::string::npos);
  // Printed: the personal data left the database, and the window is recorded.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM csops_postcard_cards"), 0);
  EXPECT_EQ(Count("SELECT cards FROM csops_postcard_windows WHERE window_name = '20260303T1000' "
                  "AND provider = 'mail_house' AND printed_by = 'replica-a'"),
            2);
  EXPECT_EQ(a_.writer->FlushEnded(clock_.Now()), 0);  // never twice

  // A replica whose clock lags sends into the printed window: the card goes into the next.
  ASSERT_FALSE(b_.journal->Append("20260303T1000", "csops-3", "{}").ok());
  FakeClock behind(FromUnixMillis(1772535540000));  // 10:59
  ProviderModel p;
  p.name = "mail_house";
  p.kind = ProviderKind::kPostcardFile;
  p.batch_window_minutes = 60;
  PostcardWriter lagging(
      p, dir_.path() + "/c", behind,
      std::make_unique<PostgresPostcardJournal>(*b_.db, "mail_house", *b_.lease));
  EXPECT_EQ(lagging.Send(Card("csops-3")).provider_message_id, "20260303T1100/csops-3");
}

TEST_F(PgPostcardJournalTest, APausedPrinterThatLostTheLeaseWritesNothing) {
  a_.writer->Send(Card("csops-1"));
  b_.writer->Send(Card("csops-2"));
  clock_.Advance(std::chrono::hours(1));
  // A lists the ended windows under its epoch, then freezes before printing.
  auto ended = a_.journal->Ended("20260303T1100");
  ASSERT_OK(ended.status());
  ASSERT_EQ(ended->windows, std::vector<std::string>{"20260303T1000"});
  a_.lease->Abandon();
  ASSERT_TRUE(Eventually([&] { return b_.lease->held().has_value(); }, milliseconds(3000)));
  // A wakes up and prints: refused before any file is written.
  bool published = false;
  Status late =
      a_.journal->Print("20260303T1000", ended->token, [&](const std::vector<std::string>&) {
        published = true;
        return Status::Ok();
      });
  EXPECT_EQ(late.code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(published);
  EXPECT_EQ(a_.writer->FlushEnded(clock_.Now()), 0);
  EXPECT_FALSE(fs::exists(dir_.path() + "/a/postcards-20260303T1000.csv"));
  // The new holder prints the window, with both cards.
  EXPECT_EQ(b_.writer->FlushEnded(clock_.Now()), 1);
  EXPECT_NE(Slurp(dir_.path() + "/b/postcards-20260303T1000.manifest.json").find("\"cards\": 2"),
            std::string::npos);
}

TEST_F(PgPostcardJournalTest, AFailedPublishLeavesTheWindowToPrintAgain) {
  a_.writer->Send(Card("csops-1"));
  auto ended = a_.journal->Ended("20260303T1100");
  ASSERT_OK(ended.status());
  Status failed = a_.journal->Print(
      "20260303T1000", ended->token,
      [](const std::vector<std::string>&) { return Status::Unavailable("disk full"); });
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM csops_postcard_cards"), 1);
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(a_.writer->FlushEnded(clock_.Now()), 1);
}

}  // namespace
}  // namespace csops::notify

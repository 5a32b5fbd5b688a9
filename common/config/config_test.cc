#include "common/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/base/testutil.h"

namespace csops {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/calendars");
    std::filesystem::copy_file(CSOPS_SOURCE_DIR "/deploy/calendars/tw-gov.textproto",
                               dir_.path() + "/calendars/tw.textproto");
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string p = dir_.path() + "/" + name;
    std::ofstream(p) << text;
    return p;
  }
  Status LoadText(const std::string& text) {
    return LoadConfig(Write("c.textproto", text)).status();
  }
  TempDir dir_;
};

constexpr char kCalendar[] = "calendars { name: \"tw-gov\" file: \"calendars/tw.textproto\" }\n";

TEST_F(ConfigTest, TheShippedExampleLoads) {
  auto c = LoadConfig(CSOPS_SOURCE_DIR "/deploy/csopsd.textproto");
  ASSERT_OK(c.status());
  EXPECT_EQ(c->proto.server().listen(), "127.0.0.1:50051");
  ASSERT_EQ(c->calendars.count("tw-gov"), 1u);
  EXPECT_EQ(c->calendars.at("tw-gov")->time_zone_name(), "Asia/Taipei");
}

TEST_F(ConfigTest, UnsetValuesGetTheirDocumentedDefaults) {
  auto c = LoadConfig(Write("c.textproto", kCalendar));
  ASSERT_OK(c.status());
  EXPECT_EQ(c->proto.server().metrics_listen(), "127.0.0.1:9464");
  EXPECT_EQ(c->proto.server().data_dir(), "var");
  EXPECT_EQ(c->proto.server().shutdown_grace_seconds(), 10);
  EXPECT_EQ(c->proto.storage().synchronous(), config::v1::FULL);
  EXPECT_EQ(c->proto.storage().max_batch(), 256);
  EXPECT_EQ(c->proto.storage().busy_timeout_ms(), 5000);
  EXPECT_EQ(c->proto.log().level(), config::v1::INFO);
}

TEST_F(ConfigTest, PostgresTakesTheDsnInlineOrFromAFileAndGetsDefaults) {
  auto inline_dsn = LoadConfig(Write(
      "c.textproto", std::string(kCalendar) + "storage { postgres { dsn: \"dbname=csops\" } }"));
  ASSERT_OK(inline_dsn.status());
  EXPECT_EQ(inline_dsn->postgres_dsn, "dbname=csops");
  EXPECT_EQ(inline_dsn->proto.storage().postgres().pool_size(), 8);
  EXPECT_EQ(inline_dsn->proto.storage().postgres().acquire_timeout_ms(), 5000);
  EXPECT_EQ(inline_dsn->proto.storage().postgres().max_batch(), 32);
  EXPECT_EQ(inline_dsn->proto.storage().postgres().connect_timeout_seconds(), 30);
  EXPECT_EQ(inline_dsn->proto.storage().postgres().heartbeat_ms(), 2000);

  Write("pg.dsn", "host=db1 dbname=csops password=s3cret  \n");
  auto from_file = LoadConfig(Write(
      "c.textproto", std::string(kCalendar) + "storage { postgres { dsn_file: \"pg.dsn\" } }"));
  ASSERT_OK(from_file.status());
  EXPECT_EQ(from_file->postgres_dsn, "host=db1 dbname=csops password=s3cret");

  auto plain = LoadConfig(Write("c.textproto", kCalendar));
  ASSERT_OK(plain.status());
  EXPECT_EQ(plain->postgres_dsn, "");
  EXPECT_FALSE(plain->proto.storage().has_postgres());
}

TEST_F(ConfigTest, PostgresNeedsExactlyOneDsnAReadableFileAndSaneLimits) {
  Status neither = LoadText(std::string(kCalendar) + "storage { postgres { pool_size: 4 } }");
  EXPECT_EQ(neither.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(neither.message().find("storage.postgres"), std::string::npos) << neither.message();
  EXPECT_NE(neither.message().find("exactly one of dsn and dsn_file"), std::string::npos);
  Status both =
      LoadText(std::string(kCalendar) + "storage { postgres { dsn: \"a\" dsn_file: \"b\" } }");
  EXPECT_NE(both.message().find("exactly one of dsn and dsn_file"), std::string::npos);
  Status missing =
      LoadText(std::string(kCalendar) + "storage { postgres { dsn_file: \"nope.dsn\" } }");
  EXPECT_NE(missing.message().find("storage.postgres.dsn_file"), std::string::npos)
      << missing.message();
  Write("empty.dsn", "\n");
  Status empty =
      LoadText(std::string(kCalendar) + "storage { postgres { dsn_file: \"empty.dsn\" } }");
  EXPECT_NE(empty.message().find("is empty"), std::string::npos) << empty.message();
  Status pool =
      LoadText(std::string(kCalendar) + "storage { postgres { dsn: \"x\" pool_size: 0 } }");
  EXPECT_NE(pool.message().find("storage.postgres.pool_size"), std::string::npos) << pool.message();
  // The connection string is never echoed: it may hold a password.
  Status bad = LoadText(std::string(kCalendar) +
                        "storage { postgres { dsn: \"password=s3cret\" pool_size: 999 } }");
  EXPECT_EQ(bad.message().find("s3cret"), std::string::npos) << bad.message();
}

TEST_F(ConfigTest, MissingFileIsNotFoundAndNamesThePath) {
  Status s = LoadConfig(dir_.path() + "/nope.textproto").status();
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("nope.textproto"), std::string::npos);
}

TEST_F(ConfigTest, UnknownKeyIsRejectedWithItsLine) {
  Status s =
      LoadText(std::string(kCalendar) + "server {\n  listen: \"127.0.0.1:1\"\n  lisen: \"x\"\n}\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("c.textproto:4:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("lisen"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, BadValueNamesTheKeyAndLine) {
  Status s = LoadText(std::string(kCalendar) + "server {\n  listen: \"no-port\"\n}\n");
  EXPECT_NE(s.message().find("c.textproto:3:3: server.listen: 'no-port' is not host:port"),
            std::string::npos)
      << s.message();
  s = LoadText(std::string(kCalendar) + "server { listen: \"h:70000\" }\n");
  EXPECT_NE(s.message().find("server.listen: port 70000"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, TrustedProxiesMustBeNetworks) {
  EXPECT_TRUE(LoadText(std::string(kCalendar) + "server { trusted_proxies: \"127.0.0.1/32\" "
                                                "trusted_proxies: \"fd00::/8\" }\n")
                  .ok());
  Status s = LoadText(std::string(kCalendar) + "server {\n  trusted_proxies: \"10.0.0.1\"\n}\n");
  EXPECT_NE(s.message().find(":3:3: server.trusted_proxies: '10.0.0.1' is not address/prefix"),
            std::string::npos)
      << s.message();
}

TEST_F(ConfigTest, ReplicaIdAndHeartbeatAreChecked) {
  EXPECT_TRUE(
      LoadText(std::string(kCalendar) + "server { replica_id: \"db-host1:/var/lib/csops/1\" }\n")
          .ok());
  Status s = LoadText(std::string(kCalendar) + "server {\n  replica_id: \"a b\"\n}\n");
  EXPECT_NE(s.message().find(":3:3: server.replica_id: 'a b' must be 1-64 of"), std::string::npos)
      << s.message();
  s = LoadText(std::string(kCalendar) + "server { replica_id: \"" + std::string(65, 'r') +
               "\" }\n");
  EXPECT_NE(s.message().find("server.replica_id"), std::string::npos) << s.message();
  s = LoadText(std::string(kCalendar) + "storage { postgres { dsn: \"x\" heartbeat_ms: 50 } }");
  EXPECT_NE(s.message().find("storage.postgres.heartbeat_ms: is 50; must be between 100 and 60000"),
            std::string::npos)
      << s.message();
}

TEST_F(ConfigTest, OutOfRangeNumbersAreRejected) {
  Status s = LoadText(std::string(kCalendar) + "server { shutdown_grace_seconds: 0 }\n");
  EXPECT_NE(s.message().find("server.shutdown_grace_seconds: is 0; must be between 1 and 300"),
            std::string::npos)
      << s.message();
  s = LoadText(std::string(kCalendar) + "storage {\n max_batch: 99999\n}\n");
  EXPECT_NE(s.message().find(":3:2: storage.max_batch"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, BadEnumValueIsRejectedByTheParser) {
  Status s = LoadText(std::string(kCalendar) + "log { level: LOUD }\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("LOUD"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(":2:"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, SyntaxErrorsCarryTheirPosition) {
  Status s = LoadText("server { listen: \"a:1\"\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("c.textproto:"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, CalendarsAreRequiredUniqueAndMustLoad) {
  EXPECT_NE(LoadText("").message().find("calendars: at least one calendar"), std::string::npos);
  Status s = LoadText(std::string(kCalendar) + kCalendar);
  EXPECT_NE(s.message().find("calendars[1].name: 'tw-gov' is defined twice"), std::string::npos)
      << s.message();
  s = LoadText("calendars {\n  name: \"x\"\n  file: \"missing.textproto\"\n}\n");
  EXPECT_NE(s.message().find(":3:3: calendars[0].file:"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("missing.textproto"), std::string::npos) << s.message();
}

TEST_F(ConfigTest, ErrorsInsideACalendarFileNameThatFileAndLine) {
  Write("calendars/bad.textproto",
        "time_zone: \"Asia/Taipei\"\ncovers_from: \"2026-01-01\"\ncovers_until: \"2026-12-31\"\n"
        "week { day: MONDAY hours { start: \"08:30\" end: \"17:30\" } }\n"
        "exceptions { date: \"2026-02-30\" kind: HOLIDAY }\n");
  Status s = LoadText("calendars { name: \"x\" file: \"calendars/bad.textproto\" }\n");
  EXPECT_NE(
      s.message().find("bad.textproto:5:14: exceptions[0].date: '2026-02-30' is not a real date"),
      std::string::npos)
      << s.message();
}

TEST_F(ConfigTest, CheckListenAddressAcceptsNamesV4AndV6) {
  EXPECT_EQ(CheckListenAddress("localhost:50051"), "");
  EXPECT_EQ(CheckListenAddress("0.0.0.0:1"), "");
  EXPECT_EQ(CheckListenAddress("[::1]:9464"), "");
  EXPECT_NE(CheckListenAddress("::1:9464"), "");
  EXPECT_EQ(CheckListenAddress("host:0"), "");
  EXPECT_NE(CheckListenAddress("host:65536"), "");
  EXPECT_NE(CheckListenAddress("host:"), "");
}

}  // namespace
}  // namespace csops

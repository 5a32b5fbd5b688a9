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

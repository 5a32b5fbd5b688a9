#include "common/grpc/time_check.h"

#include <gtest/gtest.h>

#include "common/base/civil_date.h"
#include "common/base/testutil.h"

namespace csops {
namespace {

google::protobuf::Timestamp Ts(std::int64_t seconds, int nanos = 0) {
  google::protobuf::Timestamp t;
  t.set_seconds(seconds);
  t.set_nanos(nanos);
  return t;
}

constexpr std::int64_t k2026 = 1767225600;  // 2026-01-01T00:00:00Z

TEST(CheckTimestampTest, AcceptsAnInstantInTheWindowToTheMillisecond) {
  auto t = CheckTimestamp("due_before", Ts(k2026, 999'999'999));
  ASSERT_OK(t.status());
  EXPECT_EQ(ToUnixMillis(*t), k2026 * 1000 + 999);
}

TEST(CheckTimestampTest, NanosOutsideProtobufsRangeAreRefusedByName) {
  for (int nanos : {-1, -5, 1'000'000'000, 2'000'000'000}) {
    Status s = CheckTimestamp("due_before", Ts(k2026, nanos)).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(),
              "due_before.nanos: " + std::to_string(nanos) + " is outside 0-999999999");
  }
}

TEST(CheckTimestampTest, SecondsOutsideYears1To9999AreRefusedByName) {
  for (std::int64_t secs :
       {INT64_MIN, std::int64_t{-10'000'000'000'000}, std::int64_t{253402300800}, INT64_MAX}) {
    Status s = CheckTimestamp("send_after", Ts(secs)).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(), "send_after.seconds: " + std::to_string(secs) +
                               " is outside the Timestamp range (years 0001-9999)");
  }
}

TEST(CheckTimestampTest, ValidButMeaninglessInstantsAreOutsideTheWindow) {
  Status before = CheckTimestamp("from", Ts(0)).status();
  EXPECT_EQ(before.message(),
            "from: 1970-01-01T00:00:00.000Z is outside 2000-01-01T00:00:00.000Z to "
            "2100-01-01T00:00:00.000Z");
  EXPECT_FALSE(CheckTimestamp("to", Ts(4102444800)).ok());  // 2100-01-01: the end, excluded
  EXPECT_OK(CheckTimestamp("to", Ts(4102444799)).status());
  EXPECT_OK(CheckTimestamp("from", Ts(946684800)).status());  // 2000-01-01
  // A window of the caller's own.
  InstantWindow w{FromUnixMillis(k2026 * 1000), FromUnixMillis((k2026 + 60) * 1000)};
  EXPECT_OK(CheckTimestamp("at", Ts(k2026 + 59), w).status());
  EXPECT_FALSE(CheckTimestamp("at", Ts(k2026 + 60), w).ok());
}

TEST(ParseIsoDateTest, OnlyFourTwoTwoDigits) {
  EXPECT_OK(ParseIsoDate("2027-01-05").status());
  EXPECT_OK(ParseIsoDate("2024-02-29").status());
  for (const char* bad :
       {"2027- 1- 5", "2027-01-+5", "2027-+1-05", "+202-01-05", " 2027-1-05", "2027-1-5",
        "2027/01/05", "2027-01-05 ", "27-01-05", "2027-01-0x", "２０２７-01-05", "0000-01-01"}) {
    Status s = ParseIsoDate(bad).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseIsoDate("2027- 1- 5").status().message(), "'2027- 1- 5' is not a date YYYY-MM-DD");
  EXPECT_EQ(ParseIsoDate("2026-02-29").status().message(), "'2026-02-29' is not a real date");
  EXPECT_EQ(ParseIsoDate("2027-13-01").status().message(), "'2027-13-01' is not a real date");
}

TEST(CheckDateTest, NamesTheFieldAndKeepsToTheWindow) {
  auto d = CheckDate("new_expected_date", "2027-01-05");
  ASSERT_OK(d.status());
  EXPECT_EQ(*d, absl::CivilDay(2027, 1, 5));
  EXPECT_EQ(CheckDate("new_expected_date", "2027-01-+5").status().message(),
            "new_expected_date: '2027-01-+5' is not a date YYYY-MM-DD");
  EXPECT_EQ(CheckDate("new_expected_date", "2150-01-01").status().message(),
            "new_expected_date: '2150-01-01' is outside 2000-01-01 to 2099-12-31");
  EXPECT_EQ(CheckDate("due_date", "\x1b[2J-01-01").status().message(),
            "due_date: '\\x1b[2J-01-01' is not a date YYYY-MM-DD");
}

}  // namespace
}  // namespace csops

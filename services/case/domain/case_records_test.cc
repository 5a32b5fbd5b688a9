// The names case records are stored and shown under: each one parses back to what it names.
#include "services/case/domain/case_records.h"

#include <gtest/gtest.h>

namespace csops::cases {
namespace {

TEST(CaseRecordsTest, EveryChannelNameParsesBackAndNoneIsNoChannel) {
  for (NoticeChannel c :
       {NoticeChannel::kEmail, NoticeChannel::kSms, NoticeChannel::kAppPush, NoticeChannel::kPost})
    EXPECT_EQ(ParseChannel(ChannelName(c)), c) << ChannelName(c);
  EXPECT_EQ(ChannelName(NoticeChannel::kAppPush), "app_push");
  EXPECT_EQ(ChannelName(NoticeChannel::kNone), "none");
  EXPECT_EQ(ParseChannel("none"), std::nullopt);
  EXPECT_EQ(ParseChannel("fax"), std::nullopt);
}

TEST(CaseRecordsTest, EveryStatusNameParsesBackAndHasPublicTexts) {
  for (CaseStatus s : {CaseStatus::kAccepted, CaseStatus::kInProgress, CaseStatus::kWaitingCustomer,
                       CaseStatus::kCompleted, CaseStatus::kRejected, CaseStatus::kWithdrawn}) {
    EXPECT_EQ(ParseStatus(StatusName(s)), s);
    EXPECT_FALSE(PublicStatusText(s, false).empty());
    EXPECT_FALSE(PublicStatusText(s, true).empty());
  }
  EXPECT_EQ(PublicStatusText(CaseStatus::kWaitingCustomer, false), "待補件");
  EXPECT_EQ(PublicStatusText(CaseStatus::kWaitingCustomer, true), "Waiting for your documents");
}

TEST(CaseRecordsTest, ADelayNoteGivesBackItsReasonAndDateEvenWithParenthesesInTheReason) {
  EXPECT_EQ(DelayNote("設備缺料", "2026-03-10"), "設備缺料 (2026-03-10)");
  for (const char* reason : {"設備缺料", "待台電(配電)施工", "wait (see note) (again)", ""}) {
    DelayNoteParts p = ParseDelayNote(DelayNote(reason, "2026-03-12"));
    EXPECT_EQ(p.reason, reason);
    EXPECT_EQ(p.new_date, "2026-03-12");
  }
  DelayNoteParts plain = ParseDelayNote("no date here");
  EXPECT_EQ(plain.reason, "no date here");
  EXPECT_EQ(plain.new_date, "");
}

TEST(CaseRecordsTest, SlaEventNamesAndKeys) {
  EXPECT_EQ(WarningEvent(80), "warning_80");
  EXPECT_EQ(SlaEventKey("response", sla_event::kBreach), "response/breach");
}

}  // namespace
}  // namespace csops::cases

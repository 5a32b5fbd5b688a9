#include <gtest/gtest.h>

#include "common/base/contact.h"
#include "common/base/testutil.h"
#include "services/notify/domain/contact.h"
#include "services/notify/domain/delivery_policy.h"
#include "services/notify/domain/records.h"
#include "services/notify/domain/template.h"
#include "services/notify/domain/timing.h"

namespace csops::notify {
namespace {

absl::TimeZone Zone(const char* name) {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone(name, &z));
  return z;
}

TEST(TemplateTest, ParsesRendersAndNamesAMissingVariable) {
  auto t = ParseTemplate(
      "subject: 電費 {{bill_month}}\nshort: 請繳 {{amount}} 元\n---\n親愛的用戶\n金額 {{amount}} "
      "元\n\n");
  ASSERT_OK(t.status());
  EXPECT_EQ(t->variables, (std::set<std::string>{"bill_month", "amount"}));
  auto r = Render(*t, {{"bill_month", "115年10月"}, {"amount", "1,234"}});
  ASSERT_OK(r.status());
  EXPECT_EQ(r->subject, "電費 115年10月");
  EXPECT_EQ(r->short_text, "請繳 1,234 元");
  EXPECT_EQ(r->body, "親愛的用戶\n金額 1,234 元");
  auto missing = Render(*t, {{"bill_month", "x"}});
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().message(), "variables.amount: required by the template");
  EXPECT_FALSE(ParseTemplate("subject: a\nshort: b\n").ok());  // no body
  EXPECT_FALSE(ParseTemplate("subject: {{Bad}}\nshort: b\n---\nc").ok());
  EXPECT_FALSE(ParseTemplate("subject: {{open\nshort: b\n---\nc").ok());
  EXPECT_FALSE(ParseTemplate("title: a\nshort: b\n---\nc").ok());
}

TEST(ContactTest, MobileNumbersAndEmails) {
  using contact::NormalizeMobile;
  using contact::ValidateEmail;
  EXPECT_EQ(*NormalizeMobile("0912-345-678", "m"), "0912345678");
  EXPECT_EQ(*NormalizeMobile("+886 912 345 678", "m"), "0912345678");
  for (const char* bad :
       {"", "0212345678", "091234567", "+886212345678", "09123456789", "09x2345678"}) {
    auto r = NormalizeMobile(bad, "recipient.mobile");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(r.status().message().find("recipient.mobile"), std::string::npos);
  }
  EXPECT_OK(ValidateEmail("chen.mei@example.com.tw", "e"));
  for (const char* bad : {"", "no-at", "a@b", "a@@b.c", "a b@c.d", "@c.d", "a@.c", "a@c."})
    EXPECT_FALSE(ValidateEmail(bad, "e").ok()) << bad;
}

TEST(ContactTest, SmsSegmentsGsm7AndUcs2) {
  EXPECT_EQ(CountSmsSegments(std::string(160, 'a')).segments, 1);
  EXPECT_EQ(CountSmsSegments(std::string(161, 'a')).segments, 2);
  EXPECT_EQ(CountSmsSegments(std::string(306, 'a')).segments, 2);  // 2 x 153
  EXPECT_EQ(CountSmsSegments(std::string(307, 'a')).segments, 3);
  EXPECT_EQ(CountSmsSegments(std::string(80, '[')).characters, 160);  // escapes count two
  EXPECT_FALSE(CountSmsSegments("abc").ucs2);
  std::string zh;
  for (int i = 0; i < 70; ++i) zh += "電";
  auto one = CountSmsSegments(zh);
  EXPECT_TRUE(one.ucs2);
  EXPECT_EQ(one.characters, 70);
  EXPECT_EQ(one.segments, 1);
  EXPECT_EQ(CountSmsSegments(zh + "a").segments, 2);  // 71 -> 2 x 67
  std::string zh134;
  for (int i = 0; i < 134; ++i) zh134 += "費";
  EXPECT_EQ(CountSmsSegments(zh134).segments, 2);
  EXPECT_EQ(CountSmsSegments(zh134 + "x").segments, 3);
  EXPECT_EQ(CountSmsSegments("😀").characters, 2);  // a surrogate pair
}

TEST(TimingTest, QuietHoursSpanningMidnightInTheRecipientsZone) {
  const auto taipei = Zone("Asia/Taipei");
  const QuietHours q{21 * 60, 8 * 60};
  EXPECT_EQ(NextAllowed(Taipei(2026, 3, 2, 20, 59), taipei, q), Taipei(2026, 3, 2, 20, 59));
  EXPECT_EQ(NextAllowed(Taipei(2026, 3, 2, 21, 0), taipei, q), Taipei(2026, 3, 3, 8, 0));
  EXPECT_EQ(NextAllowed(Taipei(2026, 3, 3, 2, 30), taipei, q), Taipei(2026, 3, 3, 8, 0));
  EXPECT_EQ(NextAllowed(Taipei(2026, 3, 3, 8, 0), taipei, q), Taipei(2026, 3, 3, 8, 0));
  // Same-day quiet window (12:00-13:30) and none at all.
  EXPECT_EQ(NextAllowed(Taipei(2026, 3, 3, 12, 10), taipei, {720, 810}),
            Taipei(2026, 3, 3, 13, 30));
  EXPECT_EQ(NextAllowed(Taipei(2026, 3, 3, 23, 0), taipei, {0, 0}), Taipei(2026, 3, 3, 23, 0));
  // New York on the night DST starts (2026-03-08 02:00 -> 03:00): quiet ends 08:00 EDT.
  const auto ny = Zone("America/New_York");
  const Instant late = FromUnixMillis(
      absl::ToUnixMillis(absl::FromCivil(absl::CivilSecond(2026, 3, 7, 23, 0, 0), ny)));
  EXPECT_EQ(NextAllowed(late, ny, q), FromUnixMillis(absl::ToUnixMillis(absl::FromCivil(
                                          absl::CivilSecond(2026, 3, 8, 8, 0, 0), ny))));
}

TEST(TimingTest, BackoffDoublesCapsAndJitters) {
  using std::chrono::seconds;
  EXPECT_EQ(Backoff(1, seconds(30), seconds(300), 0.999999), Duration(29999));
  EXPECT_EQ(Backoff(1, seconds(30), seconds(300), 0.0), seconds(15));
  EXPECT_EQ(Backoff(2, seconds(30), seconds(300), 0.0), seconds(30));
  EXPECT_EQ(Backoff(4, seconds(30), seconds(300), 0.0), seconds(120));
  EXPECT_EQ(Backoff(5, seconds(30), seconds(300), 0.0), seconds(150));  // capped at 300
  EXPECT_EQ(Backoff(60, seconds(30), seconds(300), 0.0), seconds(150));
}

TEST(DeliveryPolicyTest, RetriesUntilAttemptsOrTtlThenFails) {
  NotifyConfig cfg;
  cfg.max_attempts = 3;
  const Instant t0 = Taipei(2026, 3, 3, 10, 0);
  auto same = [](Instant t) { return t; };
  DeliveryRecord d;
  auto a = ApplyOutcome(d, SendOutcome::Transient("HTTP 503"), "p", t0, t0, cfg, 0.0, same);
  EXPECT_FALSE(a.failed_for_good);
  EXPECT_EQ(d.status, DeliveryStatus::kPending);
  EXPECT_EQ(d.next_attempt_at, t0 + std::chrono::seconds(15));
  ApplyOutcome(d, SendOutcome::Transient("HTTP 503"), "p", t0, t0, cfg, 0.0, same);
  a = ApplyOutcome(d, SendOutcome::Transient("timeout"), "p", t0, t0, cfg, 0.0, same);
  EXPECT_TRUE(a.failed_for_good);
  EXPECT_EQ(d.status, DeliveryStatus::kFailed);
  EXPECT_EQ(d.last_error, "gave up after 3 attempts: timeout");
  DeliveryRecord old;
  cfg.max_attempts = 48;
  a = ApplyOutcome(old, SendOutcome::Transient("x"), "p", t0 + std::chrono::hours(72), t0, cfg, 0.0,
                   same);
  EXPECT_TRUE(a.failed_for_good);  // past the TTL
  DeliveryRecord ok;
  a = ApplyOutcome(ok, SendOutcome::Ok("m1"), "p", t0, t0, cfg, 0.5, same);
  EXPECT_TRUE(a.sent);
  EXPECT_EQ(ok.provider_message_id, "m1");
  DeliveryRecord perm;
  a = ApplyOutcome(perm, SendOutcome::Permanent("HTTP 400"), "p", t0, t0, cfg, 0.5, same);
  EXPECT_TRUE(a.failed_for_good);
  EXPECT_EQ(perm.attempts, 1);
  // Back-off that lands in quiet hours waits for them to end.
  DeliveryRecord q;
  ApplyOutcome(q, SendOutcome::Transient("x"), "p", t0, t0, cfg, 0.0,
               [&](Instant) { return t0 + std::chrono::hours(10); });
  EXPECT_EQ(q.next_attempt_at, t0 + std::chrono::hours(10));
}

// The names are what the stores write in their status columns: they must never change.
TEST(RecordsTest, StatusNamesAreTheStoredTextAndParseBack) {
  EXPECT_EQ(PlanRunStatusName(PlanRunStatus::kRunning), "running");
  EXPECT_EQ(PlanRunStatusName(PlanRunStatus::kStopped), "stopped");
  EXPECT_EQ(PlanRunStatusName(PlanRunStatus::kFinished), "finished");
  EXPECT_EQ(PlanStepStatusName(PlanStepStatus::kPending), "pending");
  EXPECT_EQ(PlanStepStatusName(PlanStepStatus::kDone), "done");
  EXPECT_EQ(PlanStepStatusName(PlanStepStatus::kCancelled), "cancelled");
  for (PlanRunStatus r :
       {PlanRunStatus::kRunning, PlanRunStatus::kStopped, PlanRunStatus::kFinished})
    EXPECT_EQ(ParsePlanRunStatus(PlanRunStatusName(r)), r);
  for (PlanStepStatus s :
       {PlanStepStatus::kPending, PlanStepStatus::kDone, PlanStepStatus::kCancelled})
    EXPECT_EQ(ParsePlanStepStatus(PlanStepStatusName(s)), s);
  for (DeliveryStatus d :
       {DeliveryStatus::kPending, DeliveryStatus::kSent, DeliveryStatus::kDelivered,
        DeliveryStatus::kFailed, DeliveryStatus::kCancelled, DeliveryStatus::kWaiting})
    EXPECT_EQ(ParseDeliveryStatus(DeliveryStatusName(d)), d);
  EXPECT_EQ(ParsePlanRunStatus("Running"), std::nullopt);
  EXPECT_EQ(ParsePlanRunStatus("pending"), std::nullopt);
  EXPECT_EQ(ParsePlanStepStatus("running"), std::nullopt);
  EXPECT_EQ(ParsePlanStepStatus(""), std::nullopt);
}

}  // namespace
}  // namespace csops::notify

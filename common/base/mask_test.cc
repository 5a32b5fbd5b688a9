#include "common/base/mask.h"

#include <gtest/gtest.h>

#include "common/base/log.h"

namespace csops {
namespace {

TEST(MaskTest, PhoneKeepsOnlyTheLastThreeDigits) {
  EXPECT_EQ(MaskPhone("0912345678"), "*******678");
  EXPECT_EQ(MaskPhone("+886-912-345-678"), "*********678");
  EXPECT_EQ(MaskPhone("12345"), "*****");
  EXPECT_EQ(MaskPhone(""), "***");
}

TEST(MaskTest, EmailKeepsTheFirstCharacterAndTheDomain) {
  EXPECT_EQ(MaskEmail("chen.mei@example.com.tw"), "c***@example.com.tw");
  EXPECT_EQ(MaskEmail("not-an-address"), "***");
  EXPECT_EQ(MaskEmail("@x.tw"), "***");
}

TEST(MaskTest, NameKeepsTheFirstCodePoint) {
  EXPECT_EQ(MaskName("王小明"), "王*明");
  EXPECT_EQ(MaskName("王明"), "王*");
  EXPECT_EQ(MaskName("歐陽小明"), "歐**明");
  EXPECT_EQ(MaskName("Mary Chen"), "M*** C***");
  EXPECT_EQ(MaskName(""), "");
}

TEST(MaskTest, MalformedUtf8NeverLeaksTheHiddenPart) {
  std::string bad = "\xE7\x8E";  // a truncated 3-byte sequence
  std::string masked = MaskName(bad + "secret");
  EXPECT_EQ(masked.find("secret"), std::string::npos);
}

TEST(MaskTest, RedactsPhonesAndEmailsInFreeText) {
  EXPECT_EQ(RedactPersonalData("call 0912-345-678 or mail chen.mei@example.com today"),
            "call *******678 or mail c***@example.com today");
  // Short numbers (a ticket, an amount) stay.
  EXPECT_EQ(RedactPersonalData("ticket A023, NT$1200"), "ticket A023, NT$1200");
  EXPECT_EQ(RedactPersonalData("a@b"), "a@b");
}

std::string* g_captured = nullptr;
void Capture(std::string_view line) { g_captured->append(line); }

TEST(LogTest, OneEventIsOneLineWithQuotedValues) {
  std::string captured;
  g_captured = &captured;
  log::SetSink(&Capture);
  CSOPS_LOG(kWarning, "case_note").Kv("note", "two\nlines \"quoted\"").Kv("n", 3);
  log::SetSink(nullptr);
  ASSERT_FALSE(captured.empty());
  EXPECT_EQ(captured.find('\n'), captured.size() - 1);
  EXPECT_NE(captured.find(" WARN case_note note=\"two\\nlines \\\"quoted\\\"\" n=3"),
            std::string::npos)
      << captured;
}

TEST(LogTest, LinesBelowTheMinimumLevelAreDropped) {
  std::string captured;
  g_captured = &captured;
  log::SetSink(&Capture);
  log::SetMinLevel(log::Level::kWarning);
  CSOPS_LOG(kInfo, "dropped");
  log::SetMinLevel(log::Level::kInfo);
  CSOPS_LOG(kInfo, "kept");
  log::SetSink(nullptr);
  EXPECT_EQ(captured.find("dropped"), std::string::npos);
  EXPECT_NE(captured.find("kept"), std::string::npos);
}

}  // namespace
}  // namespace csops

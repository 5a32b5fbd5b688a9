#include "common/base/text.h"

#include <gtest/gtest.h>

#include "common/base/log.h"
#include "common/base/testutil.h"

namespace csops {
namespace {

TextLimit Name() { return {true, 100, Lines::kSingle}; }
TextLimit Note() { return {false, 2000, Lines::kMulti}; }

std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

TEST(CountCodePointsTest, CountsCharactersNotBytes) {
  EXPECT_EQ(CountCodePoints("abc"), 3u);
  EXPECT_EQ(CountCodePoints("王小明"), 3u);  // 9 bytes
  EXPECT_EQ(CountCodePoints("😀x"), 2u);      // a 4-byte character
  EXPECT_EQ(CountCodePoints(""), 0u);
}

TEST(CountCodePointsTest, RefusesInvalidUtf8) {
  EXPECT_FALSE(CountCodePoints("\xff"));
  EXPECT_FALSE(CountCodePoints("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(CountCodePoints("\xed\xa0\x80"));      // a UTF-16 surrogate
  EXPECT_FALSE(CountCodePoints("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(CountCodePoints("\xe7\x8e"));          // cut in the middle
  EXPECT_FALSE(CountCodePoints("a\x80z"));            // a lone continuation byte
}

TEST(CheckTextTest, LimitsCountCharactersSoChineseNamesFit) {
  // 40 characters, 120 bytes: the company name the old byte count refused.
  EXPECT_OK(CheckText("applicant.name", Repeat("台", 40), Name()));
  EXPECT_OK(CheckText("applicant.name", Repeat("電", 100), Name()));
  Status s = CheckText("applicant.name", Repeat("電", 101), Name());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "applicant.name: 101 characters; the limit is 100");
  EXPECT_OK(CheckText("summary", Repeat("停電", 1000), Note()));
}

TEST(CheckTextTest, FarTooManyBytesAreRefusedBeforeDecoding) {
  Status s = CheckText("summary", std::string(8001, 'x'), Note());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("summary: 8001 bytes"), std::string::npos) << s.message();
}

TEST(CheckTextTest, RequiredAndOptional) {
  EXPECT_EQ(CheckText("applicant.name", "", Name()).message(), "applicant.name: must not be empty");
  EXPECT_OK(CheckText("note", "", Note()));
}

TEST(CheckTextTest, ControlCharactersAreRefusedByName) {
  for (const std::string& bad :
       {std::string("a\0b", 3), std::string("\x1b[2J"), std::string("a\x7f"),
        std::string("a\xc2\x9b"
                    "31m"),
        std::string("a\rb")}) {
    Status s = CheckText("applicant.name", bad, Name());
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(s.message().rfind("applicant.name: control character U+", 0), 0u) << s.message();
  }
  EXPECT_EQ(CheckText("applicant.name", "\x1b[2J", Name()).message(),
            "applicant.name: control character U+001B (character 1) is not allowed");
  EXPECT_EQ(CheckText("summary", "ok\xc2\x85", Note()).message(),
            "summary: control character U+0085 (character 3) is not allowed");
}

TEST(CheckTextTest, MultiLineFieldsTakeTabsAndLineBreaksSingleLineFieldsDoNot) {
  EXPECT_OK(CheckText("note", "line 1\nline 2\r\n\tindented", Note()));
  EXPECT_EQ(CheckText("note", "a\rb", Note()).message(),
            "note: control character U+000D (character 2) is not allowed");
  EXPECT_EQ(CheckText("applicant.name", "a\nb", Name()).message(),
            "applicant.name: control character U+000A (character 2) is not allowed; this field "
            "is a single line");
}

TEST(CheckTextTest, InvalidUtf8IsRefusedWithItsOffset) {
  EXPECT_EQ(CheckText("note", "ab\xff", Note()).message(),
            "note: not valid UTF-8 (byte 0xFF at offset 2)");
}

TEST(CheckIdempotencyKeyTest, OneTo128PrintableAscii) {
  EXPECT_OK(CheckIdempotencyKey("idempotency_key", "kiosk-1:2026-02-12:0042"));
  EXPECT_OK(CheckIdempotencyKey("idempotency_key", std::string(128, '~')));
  EXPECT_EQ(CheckIdempotencyKey("idempotency_key", std::string(129, 'k')).message(),
            "idempotency_key: 129 characters; the limit is 128");
  EXPECT_NE(CheckIdempotencyKey("idempotency_key", "").message().find("must not be empty"),
            std::string::npos);
  for (const std::string& bad : {std::string("a b"), std::string("k\x1b"), std::string("k\0", 2),
                                 std::string("鍵"), std::string("k\x7f")}) {
    Status s = CheckIdempotencyKey("key", bad);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message().rfind("key: only printable ASCII without spaces", 0), 0u) << s.message();
  }
}

TEST(QuoteTest, EscapesWhatATerminalWouldAct) {
  EXPECT_EQ(Quote("A023"), "'A023'");
  EXPECT_EQ(Quote("\x1b[2J"), "'\\x1b[2J'");
  EXPECT_EQ(Quote(std::string("a\0b", 3)), "'a\\x00b'");
  EXPECT_EQ(Quote("it's\\"), "'it\\'s\\\\'");
  EXPECT_EQ(Quote("a\nb\tc"), "'a\\nb\\tc'");
  EXPECT_EQ(Quote("\xc2\x9b"
                  "31m"),
            "'\\u009b31m'");  // C1 CSI
  EXPECT_EQ(Quote("abc\xe2\x80\xae"
                  "cba"),
            "'abc\\u202ecba'");  // right-to-left override
  EXPECT_EQ(Quote("\xff\xfe"), "'\\xff\\xfe'");
  EXPECT_EQ(Quote("台北南區"), "'台北南區'");
}

TEST(QuoteTest, CutsLongValues) {
  EXPECT_EQ(Quote(Repeat("電", 70), 64), "'" + Repeat("電", 64) + "'...");
  EXPECT_EQ(Quote("abcdef", 3), "'abc'...");
  EXPECT_EQ(Quote("abc", 3), "'abc'");
}

TEST(EscapeControlsTest, LeavesQuotedValuesAndBackslashesAlone) {
  EXPECT_EQ(EscapeControls("type " + Quote("\x1b[2J") + " is not configured"),
            "type '\\x1b[2J' is not configured");
  EXPECT_EQ(EscapeControls("raw \x1b[2J"), "raw \\x1b[2J");
  EXPECT_EQ(EscapeControls("多行\n"), "多行\\n");
}

TEST(LogQuoteValueTest, EscapesC1DelBidiAndInvalidBytes) {
  EXPECT_EQ(log::QuoteValue("plain"), "plain");
  EXPECT_EQ(log::QuoteValue("台北"), "台北");
  EXPECT_EQ(log::QuoteValue("a b"), "\"a b\"");
  EXPECT_EQ(log::QuoteValue("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(log::QuoteValue("\x1b[2J"), "\"\\x1b[2J\"");
  EXPECT_EQ(log::QuoteValue("\xc2\x9b"
                            "2J"),
            "\"\\u009b2J\"");
  EXPECT_EQ(log::QuoteValue("a\x7f"), "\"a\\x7f\"");
  EXPECT_EQ(log::QuoteValue("x\xe2\x80\xaey"), "\"x\\u202ey\"");
  EXPECT_EQ(log::QuoteValue("\xff"), "\"\\xff\"");
  EXPECT_EQ(log::QuoteValue("line\nbreak"), "\"line\\nbreak\"");
}

}  // namespace
}  // namespace csops

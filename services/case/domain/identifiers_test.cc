#include <gtest/gtest.h>

#include <set>

#include "common/testutil.h"
#include "services/case/domain/acceptance_number.h"
#include "services/case/domain/lookup_code.h"

namespace csops::cases {
namespace {

TEST(DammTest, KnownValue) {
  EXPECT_EQ(DammCheckDigit("572"), 4);  // the algorithm's textbook example
  EXPECT_TRUE(DammValid("5724"));
  EXPECT_FALSE(DammValid("5723"));
}

TEST(DammTest, CatchesEverySingleDigitErrorAndAdjacentTransposition) {
  // Exhaustive over a spread of 10-digit bodies: every one-digit change and every swap of two
  // different adjacent digits must fail the check.
  for (long seed = 0; seed < 2000; ++seed) {
    std::string body = std::to_string(1000000000L + seed * 4999999L % 9000000000L).substr(0, 10);
    std::string good = body + std::to_string(DammCheckDigit(body));
    ASSERT_TRUE(DammValid(good));
    for (std::size_t i = 0; i < good.size(); ++i) {
      for (char d = '0'; d <= '9'; ++d) {
        if (d == good[i]) continue;
        std::string typo = good;
        typo[i] = d;
        ASSERT_FALSE(DammValid(typo)) << good << " -> " << typo;
      }
      if (i + 1 < good.size() && good[i] != good[i + 1]) {
        std::string swapped = good;
        std::swap(swapped[i], swapped[i + 1]);
        ASSERT_FALSE(DammValid(swapped)) << good << " -> " << swapped;
      }
    }
  }
}

TEST(AcceptanceNumberTest, FormatsAndParsesBothForms) {
  auto n = MakeAcceptanceNumber("TS", absl::CivilDay(2026, 2, 12), 42);
  ASSERT_OK(n.status());
  const std::string compact = n->Compact();
  EXPECT_EQ(compact.substr(0, 12), "TS2602120042");
  EXPECT_EQ(n->Display(), "TS-260212-0042-" + compact.substr(12));
  for (const std::string& text :
       {compact, n->Display(), std::string("ts 260212 0042 ") + compact.substr(12)}) {
    auto p = ParseAcceptanceNumber(text);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    EXPECT_EQ(p->branch_code, "TS");
    EXPECT_EQ(p->day, absl::CivilDay(2026, 2, 12));
    EXPECT_EQ(p->sequence, 42);
  }
}

TEST(AcceptanceNumberTest, RefusesTyposAndNonsense) {
  auto n = MakeAcceptanceNumber("TS", absl::CivilDay(2026, 2, 12), 42);
  std::string typo = n->Compact();
  typo[5] = typo[5] == '9' ? '8' : typo[5] + 1;
  auto p = ParseAcceptanceNumber(typo);
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find("check digit"), std::string::npos);
  EXPECT_FALSE(ParseAcceptanceNumber("hello").ok());
  EXPECT_FALSE(ParseAcceptanceNumber("TS-261312-0042-0").ok());  // month 13
  EXPECT_EQ(MakeAcceptanceNumber("TS", absl::CivilDay(2026, 2, 12), 10000).status().code(),
            StatusCode::kOutOfRange);
  EXPECT_FALSE(MakeAcceptanceNumber("T", absl::CivilDay(2026, 2, 12), 1).ok());
}

TEST(LookupCodeTest, CodesUseTheUnambiguousAlphabetAndDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    auto code = GenerateLookupCode();
    ASSERT_OK(code.status());
    ASSERT_EQ(code->size(), static_cast<std::size_t>(kLookupCodeLength));
    for (char c : *code) ASSERT_NE(std::string(kLookupAlphabet).find(c), std::string::npos) << c;
    ASSERT_TRUE(seen.insert(*code).second);
  }
}

TEST(LookupCodeTest, OnlyTheHashIsNeededToCheckACode) {
  auto code = GenerateLookupCode();
  auto salt = GenerateSalt();
  ASSERT_OK(code.status());
  ASSERT_OK(salt.status());
  const std::string stored = HashLookupCode(*code, *salt);
  EXPECT_EQ(stored.size(), 64u);
  EXPECT_EQ(stored.find(*code), std::string::npos);
  std::string spoken = *code;
  for (char& c : spoken) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  spoken.insert(5, "-");
  EXPECT_TRUE(LookupCodeMatches(spoken, *salt, stored));
  std::string wrong = *code;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(LookupCodeMatches(wrong, *salt, stored));
  EXPECT_FALSE(LookupCodeMatches(*code, "00", stored));  // another case's salt
}

}  // namespace
}  // namespace csops::cases

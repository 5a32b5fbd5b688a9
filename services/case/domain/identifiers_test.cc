#include <gtest/gtest.h>

#include <map>
#include <set>

#include "common/base/testutil.h"
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

LookupSecret TestSecret(char digit = '7') {
  auto s = LookupSecret::FromHex(std::string(64, digit));
  EXPECT_OK(s.status());
  return *s;
}

TEST(LookupCodeTest, ARetryDerivesTheSameCodeAndNothingElseDoes) {
  const LookupSecret secret = TestSecret();
  const std::string code = DeriveLookupCode(secret, "key-1", "TS26021200011");
  ASSERT_EQ(code.size(), static_cast<std::size_t>(kLookupCodeLength));
  for (char c : code) ASSERT_NE(std::string(kLookupAlphabet).find(c), std::string::npos) << c;
  EXPECT_EQ(DeriveLookupCode(secret, "key-1", "TS26021200011"), code);
  EXPECT_NE(DeriveLookupCode(secret, "key-2", "TS26021200011"), code);
  EXPECT_NE(DeriveLookupCode(secret, "key-1", "TS26021200028"), code);
  EXPECT_NE(DeriveLookupCode(TestSecret('8'), "key-1", "TS26021200011"), code);
  // Parts are framed: moving characters between key and number gives another code.
  EXPECT_NE(DeriveLookupCode(secret, "key-1T", "S26021200011"), code);
}

TEST(LookupCodeTest, DerivedCodesUseEveryLetterAndDoNotRepeat) {
  const LookupSecret secret = TestSecret();
  std::set<std::string> seen;
  std::map<char, int> letters;
  for (int i = 0; i < 3000; ++i) {
    const std::string code = DeriveLookupCode(secret, "k" + std::to_string(i), "TS26021200011");
    ASSERT_TRUE(seen.insert(code).second) << code;
    for (char c : code) ++letters[c];
  }
  ASSERT_EQ(letters.size(), sizeof(kLookupAlphabet) - 1);
  for (const auto& [c, n] : letters) {  // 30000 letters: about 968 each
    EXPECT_GT(n, 800) << c;
    EXPECT_LT(n, 1150) << c;
  }
}

TEST(LookupCodeTest, TheVerifierChecksTheCodeOfItsOwnCaseOnly) {
  const LookupSecret secret = TestSecret();
  const std::string code = DeriveLookupCode(secret, "key-1", "TS26021200011");
  const std::string stored = LookupVerifier(secret, code, "TS26021200011");
  EXPECT_EQ(stored.rfind("hmac1:", 0), 0u);
  EXPECT_EQ(stored.size(), 6u + 64u);
  EXPECT_EQ(stored.find(code), std::string::npos);
  std::string spoken = code;
  for (char& c : spoken) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  spoken.insert(5, "-");
  EXPECT_TRUE(LookupCodeMatches(secret, spoken, "TS26021200011", "", stored));
  std::string wrong = code;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(LookupCodeMatches(secret, wrong, "TS26021200011", "", stored));
  EXPECT_FALSE(LookupCodeMatches(secret, code, "TS26021200028", "", stored));  // another case
  EXPECT_FALSE(LookupCodeMatches(TestSecret('8'), code, "TS26021200011", "", stored));
}

TEST(LookupCodeTest, AWrappedOldVerifierStillChecksTheOldCode) {
  auto code = GenerateLookupCode();
  ASSERT_OK(code.status());
  const std::string salt = "00112233445566778899aabbccddeeff";
  const std::string old = HashLookupCode(*code, salt);  // what schema 4 stored
  const LookupSecret secret = TestSecret();
  const std::string stored = WrapLegacyVerifier(secret, old);
  EXPECT_EQ(stored.rfind("hmac1-sha256:", 0), 0u);
  EXPECT_EQ(stored.find(old), std::string::npos);
  EXPECT_TRUE(LookupCodeMatches(secret, *code, "TS26021200011", salt, stored));
  std::string wrong = *code;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(LookupCodeMatches(secret, wrong, "TS26021200011", salt, stored));
  EXPECT_FALSE(LookupCodeMatches(secret, *code, "TS26021200011", "00", stored));
  // An unwrapped salted SHA-256 (what a copied schema-4 file holds) is no longer accepted.
  EXPECT_FALSE(LookupCodeMatches(secret, *code, "TS26021200011", salt, old));
}

TEST(LookupCodeTest, TheSecretIsExactly64HexDigits) {
  const LookupSecret secret = TestSecret('a');
  EXPECT_EQ(secret.Hex(), std::string(64, 'a'));
  EXPECT_OK(LookupSecret::FromHex(std::string(64, 'F')).status());
  EXPECT_EQ(LookupSecret::FromHex(std::string(63, 'a')).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(LookupSecret::FromHex(std::string(63, 'a') + "g").status().code(),
            StatusCode::kInvalidArgument);
  auto fresh = LookupSecret::Generate();
  ASSERT_OK(fresh.status());
  auto again = LookupSecret::FromHex(fresh->Hex());
  ASSERT_OK(again.status());
  EXPECT_EQ(again->Hex(), fresh->Hex());
  EXPECT_NE(LookupSecretCheck(*fresh), LookupSecretCheck(secret));
  EXPECT_EQ(LookupSecretCheck(*again), LookupSecretCheck(*fresh));
}

}  // namespace
}  // namespace csops::cases

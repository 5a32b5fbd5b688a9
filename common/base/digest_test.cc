// The digest primitives against known answers: SHA-256 and HMAC-SHA-256 (RFC 4231 case 2),
// hex, the constant-time comparison, and length framing that keeps part boundaries apart.
#include "common/base/digest.h"

#include <gtest/gtest.h>

namespace csops {
namespace {

std::string Hex(const Sha256Digest& d) { return HexLower(d.data(), d.size()); }

TEST(DigestTest, KnownAnswers) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string key = "Jefe";
  EXPECT_EQ(Hex(HmacSha256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                           "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_TRUE(ConstantTimeEqual("same", "same"));
  EXPECT_FALSE(ConstantTimeEqual("same", "samE"));
  EXPECT_FALSE(ConstantTimeEqual("same", "sam"));
}

TEST(DigestTest, FramingKeepsPartsApart) {
  EXPECT_EQ(Framed({"ab", ""}), std::string("\0\0\0\2ab\0\0\0\0", 10));
  EXPECT_NE(Framed({"ab", "c"}), Framed({"a", "bc"}));
  EXPECT_NE(Framed({"abc"}), Framed({"abc", ""}));
  EXPECT_EQ(Framed({}), "");
}

}  // namespace
}  // namespace csops

#include "common/base/contact.h"

#include <gtest/gtest.h>

#include "common/base/testutil.h"

namespace csops::contact {
namespace {

void ExpectRefused(const Status& s, const std::string& field, const std::string& why,
                   const std::string& input) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << input;
  EXPECT_EQ(s.message().rfind(field + ": ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find(why), std::string::npos) << input << " -> " << s.message();
}

TEST(ContactTest, MobileNumbersInEveryCommonWritingNormalizeToTheNationalForm) {
  for (const char* ok : {"0912345678", "0912-345-678", "0912 345 678", "+886912345678",
                         "+886 912 345 678", "+886-0912-345-678", "(09)12.345.678"}) {
    auto m = NormalizeMobile(ok, "recipient.mobile");
    ASSERT_TRUE(m.ok()) << ok << ": " << m.status().ToString();
    EXPECT_EQ(*m, "0912345678") << ok;
  }
}

TEST(ContactTest, ALandlineIsRefusedForSmsAndSaysWhy) {
  for (const char* landline : {"0223456789", "02-2345-6789", "+886 2 2345 6789", "037123456"})
    ExpectRefused(NormalizeMobile(landline, "contact.address").status(), "contact.address",
                  "a landline cannot receive SMS", landline);
  for (const char* bad : {"", "091234567", "09123456789", "09x2345678", "+1 415 555 0100",
                          "call me", "+886", "0912345678+"}) {
    auto r = NormalizeMobile(bad, "recipient.mobile");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(r.status().message().rfind("recipient.mobile: ", 0), 0u) << r.status().message();
  }
}

TEST(ContactTest, APhoneForCallsTakesLandlinesAndMobiles) {
  EXPECT_EQ(*NormalizePhone("02-2345-6789", "applicant.phone"), "0223456789");
  EXPECT_EQ(*NormalizePhone("(037) 123-456", "applicant.phone"), "037123456");
  EXPECT_EQ(*NormalizePhone("+886 912 345 678", "applicant.phone"), "0912345678");
  EXPECT_TRUE(IsMobile("0912345678"));
  EXPECT_FALSE(IsMobile("0223456789"));
  for (const char* bad : {"", "12345678", "0123456789", "02234", "022345678901", "tel:0223456789"})
    EXPECT_EQ(NormalizePhone(bad, "applicant.phone").status().code(), StatusCode::kInvalidArgument)
        << bad;
}

TEST(ContactTest, EmailAddressesNotifyCanDeliverTo) {
  for (const char* ok : {"chen.mei@example.com.tw", "a+tag@example.com", "o'brien@mail.example",
                         "x_y-z@sub-domain.example.org", "1@2.tw"})
    EXPECT_TRUE(ValidateEmail(ok, "recipient.email").ok()) << ok;
}

TEST(ContactTest, MalformedEmailAddressesAreRefusedNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"two@@at.example", "more than one '@'"},
      {"sp ace@example.com", "no spaces"},
      {"tab\t@example.com", "no spaces"},
      {"", "must not be empty"},
      {"no-at.example.com", "no '@'"},
      {"@example.com", "before '@'"},
      {".lead@example.com", "dot first, last or doubled"},
      {"two..dots@example.com", "dot first, last or doubled"},
      {"a<b>@example.com", "cannot have"},
      {"a@example", "top-level"},
      {"a@example.c", "top-level"},
      {"a@10.0.0.1", "top-level"},
      {"a@-x.example", "labels"},
      {"a@x..example", "labels"},
      {"a@example.com.", "labels"},
      {"a@ex_ample.com", "labels"},
      {"陳@example.tw", "ASCII"},
  };
  for (const auto& [bad, why] : cases)
    ExpectRefused(ValidateEmail(bad, "contact.address"), "contact.address", why, bad);
  EXPECT_FALSE(ValidateEmail(std::string(65, 'a') + "@example.com", "e").ok());
  EXPECT_FALSE(ValidateEmail("a@" + std::string(250, 'b') + ".tw", "e").ok());
}

TEST(ContactTest, ErrorsNeverEchoTheContact) {
  EXPECT_EQ(NormalizeMobile("0223456789", "f").status().message().find("0223456789"),
            std::string::npos);
  EXPECT_EQ(ValidateEmail("secret@@x.example", "f").message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace csops::contact

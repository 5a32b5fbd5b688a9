#include "services/csopsd/flags.h"

#include <gtest/gtest.h>

namespace csops::csopsd {
namespace {

Result<Flags> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "csopsd");
  return ParseFlags(static_cast<int>(args.size()), args.data());
}

TEST(FlagsTest, DefaultsRunEveryTarget) {
  auto f = Parse({});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(JoinTargetNames(f->targets), "queue,case,notify");
  EXPECT_FALSE(f->listen.has_value());
}

TEST(FlagsTest, AcceptsBothSpellingsAndCommaLists) {
  auto f = Parse({"--target=notify,queue", "--listen", "127.0.0.1:0", "--data-dir=/tmp/x"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(JoinTargetNames(f->targets), "queue,notify");
  EXPECT_EQ(*f->listen, "127.0.0.1:0");
  EXPECT_EQ(*f->data_dir, "/tmp/x");
}

TEST(FlagsTest, RejectsUnknownTargetsAndFlagsByName) {
  EXPECT_NE(Parse({"--target=queue,billing"}).status().message().find("'billing'"),
            std::string::npos);
  EXPECT_NE(Parse({"--target=queue,queue"}).status().message().find("twice"), std::string::npos);
  EXPECT_NE(Parse({"--target=queue,"}).status().message().find("--target"), std::string::npos);
  EXPECT_NE(Parse({"--verbose"}).status().message().find("--verbose"), std::string::npos);
  EXPECT_NE(Parse({"--listen"}).status().message().find("needs a value"), std::string::npos);
  EXPECT_NE(Parse({"--listen=nope"}).status().message().find("--listen"), std::string::npos);
  EXPECT_FALSE(Parse({"stray"}).ok());
}

}  // namespace
}  // namespace csops::csopsd

#include "services/csopsd/flags.h"

#include <gtest/gtest.h>

namespace csops::csopsd {
namespace {

Result<Flags> Parse(std::vector<const char*> args) {
  args.insert(args.begin(), "csopsd");
  return ParseFlags(static_cast<int>(args.size()), args.data());
}

// The message of a refused command line ("" when it was accepted).
std::string Refusal(std::vector<const char*> args) {
  auto f = Parse(std::move(args));
  return f.ok() ? "" : f.status().message();
}

bool Mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(FlagsTest, DefaultsRunEveryTarget) {
  auto f = Parse({});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(JoinTargetNames(f->targets), "queue,case,notify");
  EXPECT_EQ(f->config, "deploy/csopsd.textproto");
  EXPECT_FALSE(f->listen.has_value());
  EXPECT_FALSE(f->metrics_listen.has_value());
  EXPECT_FALSE(f->data_dir.has_value());
  EXPECT_FALSE(f->help || f->version || f->check_config || f->print_policy);
}

TEST(FlagsTest, AcceptsBothSpellingsAndCommaLists) {
  auto f = Parse({"--target=notify,queue", "--listen", "127.0.0.1:0", "--data-dir=/tmp/x",
                  "--metrics-listen=off", "--http-listen", "[::1]:8080", "--check-config"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(JoinTargetNames(f->targets), "queue,notify");
  EXPECT_EQ(*f->listen, "127.0.0.1:0");
  EXPECT_EQ(*f->data_dir, "/tmp/x");
  EXPECT_EQ(*f->metrics_listen, "off");
  EXPECT_EQ(*f->http_listen, "[::1]:8080");
  EXPECT_TRUE(f->check_config);
}

TEST(FlagsTest, AFlagGivenTwiceKeepsItsLastValue) {
  auto f = Parse({"--data-dir=/tmp/a", "--target=queue", "--data-dir=/tmp/b", "--target=case"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(*f->data_dir, "/tmp/b");
  EXPECT_EQ(JoinTargetNames(f->targets), "case");
}

TEST(FlagsTest, HelpIsNoErrorWhateverElseIsGiven) {
  for (const char* help : {"--help", "-h"}) {
    auto f = Parse({"--target=billing", help});
    ASSERT_TRUE(f.ok()) << help;
    EXPECT_TRUE(f->help);
  }
  const std::string usage = Usage();
  for (const char* flag : {"--config", "--target", "--listen", "--metrics-listen", "--http-listen",
                           "--data-dir", "--check-config", "--print-policy", "--version"})
    EXPECT_TRUE(Mentions(usage, flag)) << flag;
  EXPECT_TRUE(Mentions(usage, "deploy/csopsd.textproto"));
  EXPECT_TRUE(Mentions(usage, "Exit codes"));
}

TEST(FlagsTest, RejectsUnknownTargetsAndFlagsByName) {
  EXPECT_TRUE(Mentions(Refusal({"--target=queue,billing"}), "'billing'"));
  EXPECT_TRUE(Mentions(Refusal({"--target=queue,queue"}), "twice"));
  EXPECT_TRUE(Mentions(Refusal({"--target=queue,"}), "--target"));
  EXPECT_TRUE(Mentions(Refusal({"--verbose"}), "--verbose"));
  EXPECT_TRUE(Mentions(Refusal({"--servce=A"}), "--servce=A"));
  EXPECT_TRUE(Mentions(Refusal({"--listen"}), "--listen"));
  EXPECT_TRUE(Mentions(Refusal({"--listen"}), "missing"));
  EXPECT_TRUE(Mentions(Refusal({"--listen=nope"}), "--listen: 'nope' is not host:port"));
  EXPECT_TRUE(Mentions(Refusal({"--metrics-listen=of"}), "--metrics-listen"));
  EXPECT_TRUE(Mentions(Refusal({"--http-listen=127.0.0.1:x"}), "--http-listen"));
  EXPECT_TRUE(Mentions(Refusal({"--data-dir", ""}), "--data-dir: must not be empty"));
  EXPECT_TRUE(Mentions(Refusal({"--config", ""}), "--config: must not be empty"));
  EXPECT_TRUE(Mentions(Refusal({"stray"}), "stray"));
  EXPECT_FALSE(Refusal({"--check-config=maybe"}).empty());
}

}  // namespace
}  // namespace csops::csopsd

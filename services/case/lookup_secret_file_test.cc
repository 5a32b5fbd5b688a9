#include "services/case/lookup_secret_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/base/testutil.h"

namespace csops::cases {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(LookupSecretFileTest, TheFirstStartCreatesA0600KeyThatLaterStartsRead) {
  TempDir dir;
  const std::string path = dir.path() + "/case-lookup.key";
  auto first = LoadOrCreateLookupSecret(path);
  ASSERT_OK(first.status());
  EXPECT_TRUE(first->created);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(Read(path), first->secret.Hex() + "\n");
  auto again = LoadOrCreateLookupSecret(path);
  ASSERT_OK(again.status());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->secret.Hex(), first->secret.Hex());
  EXPECT_NE(::access((path + ".tmp").c_str(), F_OK), 0);
}

TEST(LookupSecretFileTest, AKeyOthersMayReadIsRefusedNamingTheFile) {
  TempDir dir;
  const std::string path = dir.path() + "/case-lookup.key";
  ASSERT_OK(LoadOrCreateLookupSecret(path).status());
  for (mode_t mode : {0640, 0604, 0620, 0602}) {
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    auto r = LoadOrCreateLookupSecret(path);
    EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << std::oct << mode;
    EXPECT_NE(r.status().message().find(path), std::string::npos);
    EXPECT_NE(r.status().message().find("chmod 600"), std::string::npos);
  }
}

TEST(LookupSecretFileTest, AMalformedKeyIsRefused) {
  TempDir dir;
  const std::string path = dir.path() + "/case-lookup.key";
  for (const std::string& text : {std::string(), std::string("abc\n"), std::string(64, 'g'),
                                  std::string(65, 'a'), std::string(64, 'a') + "\n\n"}) {
    Write(path, text);
    ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
    auto r = LoadOrCreateLookupSecret(path);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_NE(r.status().message().find(path), std::string::npos);
  }
  Write(path, std::string(64, 'A'));  // no newline, upper case: still the key
  auto ok = LoadOrCreateLookupSecret(path);
  ASSERT_OK(ok.status());
  EXPECT_EQ(ok->secret.Hex(), std::string(64, 'a'));
}

TEST(LookupSecretFileTest, ASymbolicLinkIsRefused) {
  TempDir dir;
  const std::string real = dir.path() + "/elsewhere.key";
  Write(real, std::string(64, 'a') + "\n");
  ASSERT_EQ(::chmod(real.c_str(), 0600), 0);
  const std::string path = dir.path() + "/case-lookup.key";
  ASSERT_EQ(::symlink(real.c_str(), path.c_str()), 0);
  EXPECT_EQ(LoadOrCreateLookupSecret(path).status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace csops::cases

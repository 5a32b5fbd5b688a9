// Test helpers shared by csops unit tests: status matchers and a temporary directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "common/status.h"

#define EXPECT_OK(expr)                    \
  do {                                     \
    ::csops::Status s_ = (expr);           \
    EXPECT_TRUE(s_.ok()) << s_.ToString(); \
  } while (0)
#define ASSERT_OK(expr)                    \
  do {                                     \
    ::csops::Status s_ = (expr);           \
    ASSERT_TRUE(s_.ok()) << s_.ToString(); \
  } while (0)

namespace csops {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base ? base : "/tmp") + "/csops-test-XXXXXX";
    path_ = mkdtemp(tmpl.data()) ? tmpl : std::string();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace csops

// Test helpers shared by csops unit tests: status matchers, a temporary directory, instants in
// Taipei time (to start a FakeClock at), Await for the engines' callback APIs, and Eventually
// for work another thread finishes. Service-specific builders stay in each service's
// *_test_util.h / *_test_fixture.h.
#pragma once

#include <absl/time/civil_time.h>
#include <absl/time/time.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "common/base/clock.h"
#include "common/base/status.h"

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

// The instant of a Taipei wall time (UTC+8, no DST), built without the zone database.
inline Instant Taipei(int y, int mo, int d, int h, int mi, int sec = 0) {
  absl::Time utc = absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, sec), absl::UTCTimeZone());
  return FromUnixMillis(absl::ToUnixMillis(utc - absl::Hours(8)));
}

// Runs `start(done)` and blocks until `done` is called with a Result<T>.
template <typename T, typename F>
Result<T> Await(F&& start) {
  std::promise<Result<T>> p;
  auto f = p.get_future();
  start([&p](Result<T> r) { p.set_value(std::move(r)); });
  return f.get();
}

// Polls `holds` (every 5 ms of real time) until it returns true or `limit` passes; returns
// whether it held. For another thread's work that gives the test no callback to wait on (a
// relay, a reset thread, subscribers); `EXPECT_FALSE(Eventually(p, d))` checks that p stays
// false for d.
template <typename P>
bool Eventually(P&& holds, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (holds()) return true;
    if (std::chrono::steady_clock::now() >= end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace csops

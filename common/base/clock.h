// Time as csops sees it: an injected Clock, UTC instants in milliseconds.
//
// Domain code never reads the system clock; it takes a Clock&. Production passes RealClock;
// tests pass FakeClock and move time by hand, so nothing in a unit test sleeps.
// Instants are UTC milliseconds since the Unix epoch (what stores write as INTEGER).
// Thread safety: both implementations are safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace csops {

using Duration = std::chrono::milliseconds;
using Instant = std::chrono::time_point<std::chrono::system_clock, Duration>;

inline std::int64_t ToUnixMillis(Instant t) { return t.time_since_epoch().count(); }
inline Instant FromUnixMillis(std::int64_t ms) { return Instant(Duration(ms)); }

// RFC 3339 UTC with milliseconds, e.g. "2026-02-16T01:30:00.000Z"; for logs and messages.
std::string FormatRfc3339Utc(Instant t);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

// The system wall clock.
class RealClock final : public Clock {
 public:
  Instant Now() const override;
  // A process-wide instance.
  static RealClock& Get();
};

// A clock that only moves when told. Starts at `start`.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Instant start = FromUnixMillis(0)) : now_ms_(ToUnixMillis(start)) {}
  Instant Now() const override { return FromUnixMillis(now_ms_.load()); }
  void Set(Instant t) { now_ms_.store(ToUnixMillis(t)); }
  void Advance(Duration d) { now_ms_.fetch_add(d.count()); }

 private:
  std::atomic<std::int64_t> now_ms_;
};

}  // namespace csops

// Structured logging: one line per event on stderr.
//
//   CSOPS_LOG(kInfo, "server_started").Kv("listen", addr).Kv("targets", "queue,case");
// writes
//   2026-11-22T15:00:00.123Z INFO server_started listen=127.0.0.1:50051 targets=queue,case
//
// Values containing spaces, quotes or '=' are double-quoted with escapes, and newlines are
// escaped, so one event is always one line. Personal data (names, phones, e-mails) must pass
// through the maskers in mask.h before it reaches Kv(); there is no other channel into a log.
// Thread safety: lines from different threads never interleave.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

namespace csops::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

std::string_view LevelName(Level level);
// Lines below `level` are dropped. Default kInfo.
void SetMinLevel(Level level);
Level MinLevel();
bool Enabled(Level level);

// Where finished lines go. Default writes to stderr. Tests may capture.
using Sink = void (*)(std::string_view line);
void SetSink(Sink sink);

// Builds one line; emits it when destroyed.
class Line {
 public:
  Line(Level level, std::string_view event);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& Kv(std::string_view key, std::string_view value);
  Line& Kv(std::string_view key, const char* value) { return Kv(key, std::string_view(value)); }
  Line& Kv(std::string_view key, const std::string& value) {
    return Kv(key, std::string_view(value));
  }
  Line& Kv(std::string_view key, std::int64_t value);
  Line& Kv(std::string_view key, int value) { return Kv(key, static_cast<std::int64_t>(value)); }
  Line& Kv(std::string_view key, double value);
  Line& Kv(std::string_view key, bool value) { return Kv(key, value ? "true" : "false"); }

 private:
  bool enabled_;
  std::string text_;
};

// Quotes `value` if it would break the key=value grammar.
std::string QuoteValue(std::string_view value);

}  // namespace csops::log

#define CSOPS_LOG(level, event) ::csops::log::Line(::csops::log::Level::level, event)

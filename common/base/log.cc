#include "common/base/log.h"

#include <absl/time/clock.h>
#include <absl/time/time.h>

#include <atomic>
#include <cstdio>
#include <mutex>

#include "common/base/text.h"

namespace csops::log {
namespace {

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};
std::atomic<Sink> g_sink{nullptr};
std::mutex g_write_mu;

void StderrSink(std::string_view line) {
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARN";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

void SetMinLevel(Level level) { g_min_level.store(static_cast<int>(level)); }
Level MinLevel() { return static_cast<Level>(g_min_level.load()); }
bool Enabled(Level level) { return static_cast<int>(level) >= g_min_level.load(); }
void SetSink(Sink sink) { g_sink.store(sink); }

std::string QuoteValue(std::string_view value) {
  // Control characters, C1, bidirectional overrides and bytes that are not UTF-8 are escaped
  // (common/base/text.h), so what a caller sent never acts on the terminal or the log viewer.
  bool plain = !value.empty() && !NeedsEscape(value);
  for (char c : value) {
    if (!plain) break;
    if (c == ' ' || c == '"' || c == '=') plain = false;
  }
  if (plain) return std::string(value);
  return "\"" + EscapeText(value, '"') + "\"";
}

Line::Line(Level level, std::string_view event) : enabled_(Enabled(level)) {
  if (!enabled_) return;
  text_ = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  text_ += ' ';
  text_ += LevelName(level);
  text_ += ' ';
  text_ += QuoteValue(event);
}

Line& Line::Kv(std::string_view key, std::string_view value) {
  if (!enabled_) return *this;
  text_ += ' ';
  text_ += key;
  text_ += '=';
  text_ += QuoteValue(value);
  return *this;
}

Line& Line::Kv(std::string_view key, std::int64_t value) { return Kv(key, std::to_string(value)); }

Line& Line::Kv(std::string_view key, double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", value);
  return Kv(key, std::string_view(buf));
}

Line::~Line() {
  if (!enabled_) return;
  text_ += '\n';
  Sink sink = g_sink.load();
  (sink ? sink : StderrSink)(text_);
}

}  // namespace csops::log

// Dates and clock times as the configuration and the API write them: "2026-02-16", "08:30".
// Pure parsing; every malformed text is kInvalidArgument naming the text.
#pragma once

#include <absl/time/civil_time.h>

#include <string>

#include "common/base/status.h"

namespace csops {

// "08:30" -> 510; "24:00" -> 1440. kInvalidArgument when malformed.
Result<int> ParseHhMm(const std::string& text);
// CivilDay -> "2026-02-16".
std::string FormatIsoDate(absl::CivilDay day);
// "2026-02-16" -> CivilDay; kInvalidArgument when malformed or not a real date.
Result<absl::CivilDay> ParseIsoDate(const std::string& text);

}  // namespace csops

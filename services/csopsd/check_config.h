// csopsd --check-config: validates the config file and every file it names (calendars,
// templates, TLS material, the service key file) exactly as a start would, prints what it
// loaded, and exits without opening a port or touching the data directory.
// Use it after editing the config or importing a calendar, before `kill -HUP` or a restart.
#pragma once

#include <cstdio>

#include "services/csopsd/flags.h"

namespace csops::csopsd {

// 0 when everything loads (the summary goes to `out`, with the days each calendar has left from
// today), 2 with the located error on `err`. Flags override the config as they would for a start.
int CheckConfig(const Flags& flags, std::FILE* out, std::FILE* err);

}  // namespace csops::csopsd

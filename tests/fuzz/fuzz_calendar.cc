// The business calendar file parser (weekly hours and dated exceptions, text format): any bytes
// give a calendar or an error naming the line; a calendar that loads answers questions.
#include "common/config/calendar_file.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = csops::fuzz::WriteFile("calendar.textproto", data, size);
  auto cal = csops::LoadCalendarFile(path);
  if (!cal.ok()) return 0;
  const absl::CivilDay first(2025, 1, 1);
  for (int i = 0; i < 400; i += 7) (void)cal->IsWorkingDay(first + i);
  (void)cal->covers_until();
  return 0;
}

// The config file parser and every service's config validation: any bytes as csopsd.textproto
// give a loaded config or a located error, never a crash. Calendars and templates are the
// shipped ones (symlinked beside the fuzzed file).
#include <filesystem>

#include "common/config/config.h"
#include "services/case/case_config.h"
#include "services/notify/notify_config.h"
#include "services/queue/queue_config.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool linked = [] {
    namespace fs = std::filesystem;
    for (const char* sub : {"calendars", "templates"}) {
      std::error_code ec;
      fs::create_directory_symlink(fs::path(CSOPS_SOURCE_DIR) / "deploy" / sub,
                                   fs::path(csops::fuzz::TempDir()) / sub, ec);
    }
    return true;
  }();
  (void)linked;
  const std::string path = csops::fuzz::WriteFile("csopsd.textproto", data, size);
  auto loaded = csops::LoadConfig(path);
  if (!loaded.ok()) return 0;
  (void)csops::queue::BuildBranchModels(*loaded);
  (void)csops::cases::BuildCaseConfig(*loaded);
  (void)csops::notify::BuildNotifyConfig(*loaded);
  return 0;
}

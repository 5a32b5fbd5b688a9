// What SMS and voice gateways answer (the SMS reply parser): a Mitake key=value reply and a JSON
// {"id"} reply. Any body gives an outcome; an accepted one always carries the provider's id.
#include "services/notify/channels/http_senders.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (const auto& outcome :
       {csops::notify::ParseMitakeReply(body), csops::notify::ParseJsonIdReply(body)}) {
    if (outcome.kind == csops::notify::OutcomeKind::kOk && outcome.provider_message_id.empty())
      __builtin_trap();
  }
  return 0;
}

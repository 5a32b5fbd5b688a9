// The authorization header and the route, as a caller sends them: field 0 is the header value,
// field 1 the route. Access must be granted to a non-public route only for a configured key
// whose role the table allows; nothing may crash.
#include <prometheus/registry.h>

#include "common/auth/access_control.h"
#include "common/auth/api_key.h"
#include "services/csopsd/access_table.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

const char kKey[] = "csk_fuzz-staff-key";

csops::auth::AccessControl& Access() {
  static prometheus::Registry registry;
  static csops::auth::AccessControl* access = [] {
    csops::config::v1::AuthConfig c;
    auto* k = c.add_keys();
    k->set_name("E1");
    k->set_role(csops::config::v1::STAFF);
    k->set_sha256(csops::auth::Sha256Hex(kKey));
    auto table = csops::csopsd::BuildAccessTable();
    if (!table.ok()) __builtin_trap();
    return new csops::auth::AccessControl(c, std::move(*table), registry);
  }();
  return *access;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto fields = csops::fuzz::Fields(data, size, 2);
  const std::string& header = fields[0];
  const std::string& route = fields.size() > 1 ? fields[1] : std::string();
  auto key = csops::auth::KeyFromAuthorization(header);
  for (auto surface : {csops::auth::Surface::kGrpc, csops::auth::Surface::kHttp}) {
    auto who = Access().Decide(surface, route, header);
    const auto* rule = Access().table().Find(route);
    if (!who.ok() || !rule || rule->is_public) continue;
    // Granted on a non-public route: only the staff key, on a route staff may use.
    if (!key.ok() || *key != kKey || !csops::auth::Allows(*rule, csops::config::v1::STAFF))
      __builtin_trap();
  }
  return 0;
}

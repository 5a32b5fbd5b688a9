// csopsctl keygen: a fresh API key for one client. The key is printed once, on stdout's first
// line; the config stanza below it carries only the key's SHA-256, so the config file never
// holds a usable key.
#include <cstdio>

#include "common/auth/api_key.h"
#include "common/auth/policy.h"
#include "tools/csopsctl/cli.h"

namespace csops::ctl {

int RunKeygen(const std::vector<std::string>& raw) {
  std::vector<std::string> with_name = {"keygen"};
  with_name.insert(with_name.end(), raw.begin(), raw.end());
  std::string error;
  CommandArgs a = ParseCommandArgs(with_name, &error);
  const std::string usage =
      "usage: csopsctl keygen --name=NAME --role=kiosk|counter|staff|supervisor|billing|"
      "service|metrics|admin [--branch=BRANCH]\n";
  if (!error.empty() || !a.positional.empty() || a.Get("name").empty()) {
    std::fprintf(stderr, "csopsctl: %s\n%s", error.empty() ? "keygen needs --name" : error.c_str(),
                 usage.c_str());
    return 2;
  }
  std::string role_name = a.Get("role");
  for (char& c : role_name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  config::v1::Role role;
  if (!config::v1::Role_Parse(role_name, &role) || role == config::v1::ROLE_UNSPECIFIED) {
    std::fprintf(stderr, "csopsctl: --role: '%s' is not a role\n%s", a.Get("role").c_str(),
                 usage.c_str());
    return 2;
  }
  const std::string key = auth::NewApiKey();
  std::printf("%s\n", key.c_str());
  std::printf("# Give the key above to %s once; add this to csopsd's config (auth section):\n",
              a.Get("name").c_str());
  std::printf("keys { name: \"%s\" role: %s sha256: \"%s\"%s }\n", a.Get("name").c_str(),
              role_name.c_str(), auth::Sha256Hex(key).c_str(),
              a.Get("branch").empty() ? "" : (" branch: \"" + a.Get("branch") + "\"").c_str());
  return 0;
}

}  // namespace csops::ctl

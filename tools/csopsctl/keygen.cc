// csopsctl keygen: a fresh API key for one client. The key is printed once, on stdout's first
// line; the config stanza below it carries only the key's SHA-256, so the config file never
// holds a usable key.
#include <cctype>
#include <cstdio>
#include <optional>

#include "common/auth/api_key.h"
#include "common/auth/policy.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

// "staff" -> STAFF, if it names a role.
std::optional<config::v1::Role> ParseRole(const std::string& name) {
  std::string upper = name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  config::v1::Role role;
  if (!config::v1::Role_Parse(upper, &role) || role == config::v1::ROLE_UNSPECIFIED)
    return std::nullopt;
  return role;
}

struct KeygenArgs {
  std::string name, role, branch;
};

int RunKeygen(const KeygenArgs& a) {
  const std::string role_name = config::v1::Role_Name(*ParseRole(a.role));
  const std::string key = auth::NewApiKey();
  std::printf("%s\n", key.c_str());
  std::printf("# Give the key above to %s once; add this to csopsd's config (auth section):\n",
              a.name.c_str());
  std::printf("keys { name: \"%s\" role: %s sha256: \"%s\"%s }\n", a.name.c_str(),
              role_name.c_str(), auth::Sha256Hex(key).c_str(),
              a.branch.empty() ? "" : (" branch: \"" + a.branch + "\"").c_str());
  return 0;
}

}  // namespace

void AddKeygen(CLI::App& app, Command* run) {
  auto* keygen =
      app.add_subcommand("keygen", "make an API key; prints it once and its auth.keys stanza");
  auto a = std::make_shared<KeygenArgs>();
  keygen->add_option("--name", a->name, "who the key is for")->required()->check(flags::NotEmpty());
  keygen
      ->add_option("--role", a->role,
                   "kiosk, counter, staff, supervisor, billing, service, metrics or admin")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return ParseRole(text) ? "" : "'" + text + "' is not a role";
          },
          ""));
  keygen->add_option("--branch", a->branch, "the one branch the key may act for");
  keygen->callback([run, a] { *run = [a] { return RunKeygen(*a); }; });
}

}  // namespace csops::ctl

// Message templates: the first field is a template file's text, the others are "name=value"
// variables; parsing and rendering give a message or an error naming the problem.
#include "services/notify/domain/template.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto fields = csops::fuzz::Fields(data, size, 6);
  auto t = csops::notify::ParseTemplate(fields[0]);
  if (!t.ok()) return 0;
  std::map<std::string, std::string> vars;
  for (size_t i = 1; i < fields.size(); ++i) {
    const auto eq = fields[i].find('=');
    if (eq != std::string::npos) vars[fields[i].substr(0, eq)] = fields[i].substr(eq + 1);
  }
  for (const std::string& v : t->variables)  // and once with every variable present
    if (!vars.count(v)) vars[v] = "x";
  auto r = csops::notify::Render(*t, vars);
  if (!r.ok()) __builtin_trap();  // every placeholder has a value: rendering must succeed
  return 0;
}

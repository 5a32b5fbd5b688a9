// "--name=value" command-line options for the report tools: each known name has a setter.
#pragma once

#include <functional>
#include <map>
#include <string>

namespace csops::report {

using FlagSetters = std::map<std::string, std::function<void(const std::string&)>>;

// Applies every argument through its setter (the name without "--"); returns "" or the reason
// the first bad argument was refused.
inline std::string ParseFlags(int argc, char** argv, const FlagSetters& setters) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) return "bad argument '" + a + "'";
    auto it = setters.find(a.substr(2, eq - 2));
    if (it == setters.end()) return "unknown option " + a.substr(0, eq);
    it->second(a.substr(eq + 1));
  }
  return "";
}

}  // namespace csops::report

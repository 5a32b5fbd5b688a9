// The command line of every csops tool (csopsctl, csops-report, history_seed, the benchmarks),
// parsed with CLI11 so that all of them behave the same way:
//   * options are "--name=value" or "--name value"; given twice, the last one counts (scripts
//     append overrides to a fixed command line);
//   * --help (-h) prints the usage of the command or subcommand on stdout; exit 0;
//   * an unknown option or argument, a value that is not a number, out of range or not one of
//     the allowed words, a missing value, required option or subcommand: one line naming the
//     option on stderr, then where to find --help; exit 2.
// Header-only; not thread-safe (a command line is parsed once, in main()).
#pragma once

#include <CLI/CLI.hpp>
#include <charconv>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace csops::flags {

// Applies the conventions above to a fresh `app`, before any option is added to it (subcommands
// added later inherit them).
inline void UseCsopsConventions(CLI::App& app) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// "csopsctl queue complete" for the deepest subcommand the command line reached.
inline std::string CommandPath(const CLI::App& app) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().back();
  std::string path;
  for (const CLI::App* a = at; a != nullptr; a = a->get_parent())
    path = a->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// Prints a usage error the way Parse() does; returns 2. For the checks a program makes after
// parsing (values that depend on each other, files that must exist).
inline int UsageError(const std::string& command, const std::string& why) {
  std::fprintf(stderr, "%s: %s\nRun '%s --help' for more information.\n", command.c_str(),
               why.c_str(), command.c_str());
  return 2;
}

// Parses argv into `app`'s options (running the parse callbacks of the subcommands chosen).
// Returns std::nullopt when the program should go on, else the exit code to return at once:
// 0 after --help, 2 after a usage error (both printed as described above).
inline std::optional<int> Parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // prints the help of the subcommand asked about
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    // A misspelt option leaves the one meant missing: name the misspelling, the cause, first.
    std::vector<std::string> unknown;
    for (const CLI::App* at = &app; at != nullptr;
         at = at->get_subcommands().empty() ? nullptr : at->get_subcommands().back()) {
      if (at->get_allow_extras()) continue;  // the command checks what it leaves itself
      for (const std::string& arg : at->remaining()) unknown.push_back(arg);
    }
    return UsageError(CommandPath(app),
                      unknown.empty() ? e.what() : CLI::ExtrasError(unknown).what());
  } catch (const CLI::ParseError& e) {
    return UsageError(CommandPath(app), e.what());
  }
}

// Validators; each message is prefixed with the option's name ("--count: 'abc' is not ...").

// A whole number from `min` to `max` (of the option's integer type T).
template <typename T>
CLI::Validator Whole(T min, T max = std::numeric_limits<T>::max()) {
  const std::string range = max == std::numeric_limits<T>::max()
                                ? ">= " + std::to_string(min)
                                : "from " + std::to_string(min) + " to " + std::to_string(max);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        T value{};
        const char* end = text.data() + text.size();
        auto [at, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || at != end || value < min || value > max)
          return "'" + text + "' is not a whole number " + range;
        return "";
      },
      "whole number " + range);
}

// A number above 0 and at most `max`, fractions allowed; `of` names its unit in messages:
// "'abc' is not a number of seconds in (0, 3600]".
inline CLI::Validator Positive(const std::string& of,
                               double max = std::numeric_limits<double>::max()) {
  char max_text[32];
  std::snprintf(max_text, sizeof max_text, "%g", max);
  const std::string what = of.empty() ? "number" : "number of " + of;
  const std::string range = max == std::numeric_limits<double>::max()
                                ? "above 0"
                                : std::string("in (0, ") + max_text + "]";
  return CLI::Validator(
      [max, what, range](std::string& text) -> std::string {
        double value = 0;
        const char* end = text.data() + text.size();
        auto [at, ec] = std::from_chars(text.data(), end, value);
        if (text.empty() || ec != std::errc() || at != end || !(value > 0) || value > max)
          return "'" + text + "' is not a " + what + " " + range;
        return "";
      },
      (of.empty() ? "" : of + " ") + range);
}

inline CLI::Validator Seconds(double max = std::numeric_limits<double>::max()) {
  return Positive("seconds", max);
}

// Any text but the empty one.
inline CLI::Validator NotEmpty() {
  return CLI::Validator(
      [](std::string& text) -> std::string { return text.empty() ? "must not be empty" : ""; }, "");
}

}  // namespace csops::flags

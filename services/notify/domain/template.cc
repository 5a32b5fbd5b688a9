#include "services/notify/domain/template.h"

#include <sstream>

namespace csops::notify {
namespace {

bool IsVarChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

// Calls fn(literal) and var(name) in order; error on an unclosed or malformed placeholder.
template <typename Lit, typename Var>
Status Walk(const std::string& s, Lit lit, Var var) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t open = s.find("{{", i);
    if (open == std::string::npos) {
      lit(s.substr(i));
      break;
    }
    lit(s.substr(i, open - i));
    const std::size_t close = s.find("}}", open + 2);
    if (close == std::string::npos) return Status::InvalidArgument("'{{' without '}}'");
    const std::string name = s.substr(open + 2, close - open - 2);
    if (name.empty()) return Status::InvalidArgument("empty placeholder '{{}}'");
    for (char c : name)
      if (!IsVarChar(c))
        return Status::InvalidArgument("placeholder '{{" + name + "}}' must be [a-z0-9_]");
    CSOPS_RETURN_IF_ERROR(var(name));
    i = close + 2;
  }
  return Status();
}

}  // namespace

Result<MessageTemplate> ParseTemplate(const std::string& text) {
  MessageTemplate t;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  bool in_body = false;
  std::string body;
  while (std::getline(in, line)) {
    ++n;
    if (in_body) {
      body += line + "\n";
      continue;
    }
    if (line == "---") {
      in_body = true;
      continue;
    }
    if (line.empty()) continue;
    auto colon = line.find(':');
    const std::string key = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (key == "subject") {
      t.subject = value;
    } else if (key == "short") {
      t.short_text = value;
    } else {
      return Status::InvalidArgument("line " + std::to_string(n) +
                                     ": expected 'subject:', 'short:' or '---'");
    }
  }
  while (!body.empty() && body.back() == '\n') body.pop_back();
  t.body = body;
  if (t.subject.empty() || t.short_text.empty() || t.body.empty())
    return Status::InvalidArgument("needs 'subject:', 'short:' and a body after '---'");
  for (const std::string* part : {&t.subject, &t.short_text, &t.body}) {
    Status s = Walk(
        *part, [](const std::string&) {},
        [&](const std::string& name) {
          t.variables.insert(name);
          return Status();
        });
    if (!s.ok()) return s;
  }
  return t;
}

Result<RenderedMessage> Render(const MessageTemplate& t,
                               const std::map<std::string, std::string>& vars) {
  for (const std::string& v : t.variables)
    if (!vars.count(v))
      return Status::InvalidArgument("variables." + v + ": required by the template");
  RenderedMessage out;
  std::pair<const std::string*, std::string*> parts[] = {
      {&t.subject, &out.subject}, {&t.short_text, &out.short_text}, {&t.body, &out.body}};
  for (auto& [in, result] : parts) {
    std::string* r = result;
    CSOPS_RETURN_IF_ERROR(Walk(
        *in, [&](const std::string& lit) { *r += lit; },
        [&](const std::string& name) {
          *r += vars.at(name);
          return Status();
        }));
  }
  return out;
}

}  // namespace csops::notify

// Message templates: one file per kind and locale, e.g. templates/bill_unpaid.zh-TW.txt:
//
//   subject: 電費催繳通知 {{bill_month}}
//   short: 台電提醒您：{{bill_month}} 電費 {{amount}} 元尚未繳納，請於 {{due_date}} 前繳納。
//   ---
//   (the long body: e-mail and postcard; any number of lines)
//
// `subject` is the e-mail subject and push title; `short` is the SMS, voice and push text.
// Placeholders are {{name}} with name in [a-z0-9_]. Rendering fails, naming the variable, when
// one is missing, so a bad Send is refused at once instead of failing at delivery.
#pragma once

#include <map>
#include <set>
#include <string>

#include "common/base/status.h"

namespace csops::notify {

struct MessageTemplate {
  std::string subject;
  std::string short_text;
  std::string body;
  std::set<std::string> variables;  // every placeholder of the three parts
};

struct RenderedMessage {
  std::string subject;
  std::string short_text;
  std::string body;
};

// Parses a template file's text; kInvalidArgument names the problem (and its line).
Result<MessageTemplate> ParseTemplate(const std::string& text);

// Fills the placeholders; kInvalidArgument "variables.<name>: required by the template" when
// one is missing.
Result<RenderedMessage> Render(const MessageTemplate& t,
                               const std::map<std::string, std::string>& vars);

}  // namespace csops::notify

#include "services/case/domain/case_records.h"

namespace csops::cases {

std::string_view ChannelName(NoticeChannel c) {
  switch (c) {
    case NoticeChannel::kEmail:
      return "email";
    case NoticeChannel::kSms:
      return "sms";
    case NoticeChannel::kAppPush:
      return "app_push";
    case NoticeChannel::kPost:
      return "post";
    case NoticeChannel::kNone:
      break;
  }
  return "none";
}

std::optional<NoticeChannel> ParseChannel(std::string_view name) {
  for (NoticeChannel c :
       {NoticeChannel::kEmail, NoticeChannel::kSms, NoticeChannel::kAppPush, NoticeChannel::kPost})
    if (ChannelName(c) == name) return c;
  return std::nullopt;
}

std::string WarningEvent(int percent) { return "warning_" + std::to_string(percent); }

std::string SlaEventKey(std::string_view target, std::string_view event) {
  return std::string(target) + "/" + std::string(event);
}

std::string DelayNote(std::string_view reason, std::string_view new_date) {
  return std::string(reason) + " (" + std::string(new_date) + ")";
}

DelayNoteParts ParseDelayNote(std::string_view note) {
  DelayNoteParts out{std::string(note), ""};
  // The last " (" followed by exactly a date and one closing character; parentheses earlier in
  // the reason stay in it.
  auto open = out.reason.rfind(" (");
  if (open != std::string::npos && out.reason.size() == open + 2 + 10 + 1) {
    out.new_date = out.reason.substr(open + 2, 10);
    out.reason.resize(open);
  }
  return out;
}

}  // namespace csops::cases

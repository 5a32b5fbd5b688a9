#include "services/queue/domain/types.h"

#include <cstdio>

#include "common/base/civil_date.h"

namespace csops::queue {

std::string_view StateName(TicketState s) {
  switch (s) {
    case TicketState::kWaiting:
      return "waiting";
    case TicketState::kCalled:
      return "called";
    case TicketState::kServing:
      return "serving";
    case TicketState::kDone:
      return "done";
    case TicketState::kNoShow:
      return "no_show";
    case TicketState::kCancelled:
      return "cancelled";
    case TicketState::kExpired:
      return "expired";
  }
  return "unknown";
}

std::string_view PriorityName(PriorityClass p) {
  switch (p) {
    case PriorityClass::kNormal:
      return "normal";
    case PriorityClass::kPriority:
      return "priority";
    case PriorityClass::kAccessible:
      return "accessible";
  }
  return "unknown";
}

std::string_view ChannelName(Channel c) {
  switch (c) {
    case Channel::kKiosk:
      return "kiosk";
    case Channel::kApp:
      return "app";
    case Channel::kCounter:
      return "counter";
  }
  return "unknown";
}

std::string_view CounterStateName(CounterState s) {
  switch (s) {
    case CounterState::kClosed:
      return "closed";
    case CounterState::kOpen:
      return "open";
    case CounterState::kPaused:
      return "paused";
  }
  return "unknown";
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kNone:
      return "none";
    case Outcome::kResolved:
      return "resolved";
    case Outcome::kCaseOpened:
      return "case_opened";
    case Outcome::kNeedsFollowUp:
      return "needs_follow_up";
  }
  return "unknown";
}

std::string_view ContactKindName(ContactKind k) {
  switch (k) {
    case ContactKind::kNone:
      return "none";
    case ContactKind::kSms:
      return "sms";
    case ContactKind::kEmail:
      return "email";
    case ContactKind::kAppPush:
      return "app_push";
  }
  return "unknown";
}

bool IsFinal(TicketState s) {
  return s == TicketState::kDone || s == TicketState::kNoShow || s == TicketState::kCancelled ||
         s == TicketState::kExpired;
}

namespace {
template <typename E, typename F>
std::optional<E> ParseBy(std::string_view name, F name_of, std::initializer_list<E> all) {
  for (E e : all)
    if (name_of(e) == name) return e;
  return std::nullopt;
}
}  // namespace

std::optional<TicketState> ParseState(std::string_view n) {
  using S = TicketState;
  return ParseBy<S>(
      n, StateName,
      {S::kWaiting, S::kCalled, S::kServing, S::kDone, S::kNoShow, S::kCancelled, S::kExpired});
}
std::optional<PriorityClass> ParsePriority(std::string_view n) {
  using P = PriorityClass;
  return ParseBy<P>(n, PriorityName, {P::kNormal, P::kPriority, P::kAccessible});
}
std::optional<Channel> ParseChannel(std::string_view n) {
  return ParseBy<Channel>(n, ChannelName, {Channel::kKiosk, Channel::kApp, Channel::kCounter});
}
std::optional<ContactKind> ParseContactKind(std::string_view n) {
  using K = ContactKind;
  return ParseBy<K>(n, ContactKindName, {K::kNone, K::kSms, K::kEmail, K::kAppPush});
}
std::optional<CounterState> ParseCounterState(std::string_view n) {
  using C = CounterState;
  return ParseBy<C>(n, CounterStateName, {C::kClosed, C::kOpen, C::kPaused});
}

std::optional<Outcome> ParseOutcome(std::string_view n) {
  using O = Outcome;
  return ParseBy<O>(n, OutcomeName, {O::kNone, O::kResolved, O::kCaseOpened, O::kNeedsFollowUp});
}

std::string JoinServiceCodes(const std::vector<std::string>& codes) {
  std::string s;
  for (const auto& c : codes) s += (s.empty() ? "" : ",") + c;
  return s;
}

std::vector<std::string> SplitServiceCodes(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    auto comma = joined.find(',');
    std::string_view item = joined.substr(0, comma);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    joined.remove_prefix(comma + 1);
  }
  return out;
}

std::string FormatDay(absl::CivilDay day) { return FormatIsoDate(day); }

}  // namespace csops::queue

#include "services/queue/api/queue_convert.h"

#include "common/grpc/proto_enum.h"
#include "common/grpc/proto_time.h"

namespace csops::queue {

namespace {

pb::TicketState ToProto(TicketState s) {
  switch (s) {
    case TicketState::kWaiting:
      return pb::TICKET_STATE_WAITING;
    case TicketState::kCalled:
      return pb::TICKET_STATE_CALLED;
    case TicketState::kServing:
      return pb::TICKET_STATE_SERVING;
    case TicketState::kDone:
      return pb::TICKET_STATE_DONE;
    case TicketState::kNoShow:
      return pb::TICKET_STATE_NO_SHOW;
    case TicketState::kCancelled:
      return pb::TICKET_STATE_CANCELLED;
    case TicketState::kExpired:
      return pb::TICKET_STATE_EXPIRED;
  }
  return pb::TICKET_STATE_UNSPECIFIED;
}

pb::PriorityClass ToProto(PriorityClass p) {
  switch (p) {
    case PriorityClass::kNormal:
      return pb::PRIORITY_CLASS_NORMAL;
    case PriorityClass::kPriority:
      return pb::PRIORITY_CLASS_PRIORITY;
    case PriorityClass::kAccessible:
      return pb::PRIORITY_CLASS_ACCESSIBLE;
  }
  return pb::PRIORITY_CLASS_UNSPECIFIED;
}

pb::Channel ToProto(Channel c) {
  switch (c) {
    case Channel::kKiosk:
      return pb::CHANNEL_KIOSK;
    case Channel::kApp:
      return pb::CHANNEL_APP;
    case Channel::kCounter:
      return pb::CHANNEL_COUNTER;
  }
  return pb::CHANNEL_UNSPECIFIED;
}

pb::CounterState ToProto(CounterState s) {
  switch (s) {
    case CounterState::kClosed:
      return pb::COUNTER_STATE_CLOSED;
    case CounterState::kOpen:
      return pb::COUNTER_STATE_OPEN;
    case CounterState::kPaused:
      return pb::COUNTER_STATE_PAUSED;
  }
  return pb::COUNTER_STATE_UNSPECIFIED;
}

pb::BoardEventKind ToProto(ChangeKind k) {
  switch (k) {
    case ChangeKind::kIssued:
      return pb::BOARD_EVENT_KIND_ISSUED;
    case ChangeKind::kCalled:
      return pb::BOARD_EVENT_KIND_CALLED;
    case ChangeKind::kRecalled:
      return pb::BOARD_EVENT_KIND_RECALLED;
    case ChangeKind::kServing:
      return pb::BOARD_EVENT_KIND_SERVING;
    case ChangeKind::kCompleted:
      return pb::BOARD_EVENT_KIND_COMPLETED;
    case ChangeKind::kNoShow:
      return pb::BOARD_EVENT_KIND_NO_SHOW;
    case ChangeKind::kCancelled:
      return pb::BOARD_EVENT_KIND_CANCELLED;
    case ChangeKind::kRequeued:
      return pb::BOARD_EVENT_KIND_REQUEUED;
    case ChangeKind::kTransferred:
      return pb::BOARD_EVENT_KIND_TRANSFERRED;
    case ChangeKind::kCounterChanged:
      return pb::BOARD_EVENT_KIND_COUNTER_CHANGED;
    case ChangeKind::kDayReset:
      return pb::BOARD_EVENT_KIND_DAY_RESET;
    case ChangeKind::kExpired:
      return pb::BOARD_EVENT_KIND_UNSPECIFIED;
  }
  return pb::BOARD_EVENT_KIND_UNSPECIFIED;
}

}  // namespace

pb::ContactKind ToProto(ContactKind k) {
  switch (k) {
    case ContactKind::kSms:
      return pb::CONTACT_KIND_SMS;
    case ContactKind::kEmail:
      return pb::CONTACT_KIND_EMAIL;
    case ContactKind::kAppPush:
      return pb::CONTACT_KIND_APP_PUSH;
    case ContactKind::kNone:
      break;
  }
  return pb::CONTACT_KIND_UNSPECIFIED;
}

void ToProto(const TicketView& v, pb::Ticket* out) {
  const TicketRecord& t = v.ticket;
  out->set_number(t.display);
  out->set_business_day(t.business_day);
  out->set_service_code(t.service_code);
  out->set_state(ToProto(t.state));
  out->set_priority(ToProto(t.priority));
  out->set_channel(ToProto(t.channel));
  if (t.state == TicketState::kWaiting) {
    out->set_people_ahead(v.people_ahead);
    ToProtoDuration(v.estimated_wait, out->mutable_estimated_wait());
    out->set_no_open_counter(v.no_open_counter);
  }
  ToProtoTimestamp(t.issued_at, out->mutable_issued_at());
  out->set_counter_id(t.counter_id);
  out->set_calls(t.calls);
  out->set_transfer_note(t.transfer_note);
  out->set_reserved_counter_id(t.reserved_counter_id);
  out->set_has_contact(t.contact_kind != ContactKind::kNone);
}

void ToProto(const CounterView& v, pb::CounterStatus* out) {
  out->set_counter_id(v.counter_id);
  out->set_name(v.name);
  out->set_state(ToProto(v.state));
  for (const auto& s : v.services) out->add_service_codes(s);
  out->set_current_ticket(v.current_ticket);
  if (!v.current_ticket.empty()) out->set_current_ticket_state(ToProto(v.current_state));
}

void ToProto(const BranchView& v, pb::BranchSnapshot* out) {
  out->set_branch_id(v.branch_id);
  out->set_business_day(v.business_day);
  for (const ServiceView& s : v.services) {
    auto* o = out->add_services();
    o->set_code(s.model->code);
    o->set_name_zh_tw(s.model->name_zh_tw);
    o->set_name_en(s.model->name_en);
    o->set_waiting(s.waiting);
    ToProtoDuration(s.oldest_wait, o->mutable_oldest_wait());
    ToProtoDuration(s.estimated_wait, o->mutable_estimated_wait());
    ToProtoDuration(s.model->target_wait, o->mutable_target_wait());
    o->set_open_counters(s.open_counters);
    o->set_last_called(s.last_called);
  }
  for (const CounterView& c : v.counters) ToProto(c, out->add_counters());
  ToProtoTimestamp(v.as_of, out->mutable_as_of());
  for (const RecentCall& c : v.recent_calls) {
    auto* o = out->add_recent_calls();
    o->set_ticket_number(c.ticket_display);
    o->set_counter_id(c.counter_id);
    o->set_service_code(c.service_code);
    ToProtoTimestamp(c.called_at, o->mutable_called_at());
  }
}

std::optional<pb::BoardEvent> ToBoardEvent(const QueueChange& c) {
  pb::BoardEventKind kind = ToProto(c.kind);
  if (kind == pb::BOARD_EVENT_KIND_UNSPECIFIED) return std::nullopt;
  pb::BoardEvent e;
  e.set_kind(kind);
  ToProtoTimestamp(c.at, e.mutable_at());
  e.set_ticket_number(c.ticket);
  e.set_service_code(c.service_code);
  e.set_counter_id(c.counter_id);
  e.set_calls(c.calls);
  e.set_waiting(c.waiting);
  e.set_from_service_code(c.from_service_code);
  if (c.counter) ToProto(*c.counter, e.mutable_counter());
  return e;
}

Result<PriorityClass> FromProto(pb::PriorityClass p, const char* field) {
  switch (p) {
    case pb::PRIORITY_CLASS_NORMAL:
      return PriorityClass::kNormal;
    case pb::PRIORITY_CLASS_PRIORITY:
      return PriorityClass::kPriority;
    case pb::PRIORITY_CLASS_ACCESSIBLE:
      return PriorityClass::kAccessible;
    default:
      return BadEnumValue(field, pb::PriorityClass_descriptor(), p);
  }
}

Result<Channel> FromProto(pb::Channel c, const char* field) {
  switch (c) {
    case pb::CHANNEL_KIOSK:
      return Channel::kKiosk;
    case pb::CHANNEL_APP:
      return Channel::kApp;
    case pb::CHANNEL_COUNTER:
      return Channel::kCounter;
    default:
      return BadEnumValue(field, pb::Channel_descriptor(), c);
  }
}

Result<ContactKind> FromProto(pb::ContactKind k, const char* field) {
  switch (k) {
    case pb::CONTACT_KIND_UNSPECIFIED:
      return ContactKind::kNone;
    case pb::CONTACT_KIND_SMS:
      return ContactKind::kSms;
    case pb::CONTACT_KIND_EMAIL:
      return ContactKind::kEmail;
    case pb::CONTACT_KIND_APP_PUSH:
      return ContactKind::kAppPush;
    default:
      return BadEnumValue(field, pb::ContactKind_descriptor(), k);
  }
}

Result<Outcome> FromProto(pb::Outcome o, const char* field) {
  switch (o) {
    case pb::OUTCOME_RESOLVED:
      return Outcome::kResolved;
    case pb::OUTCOME_CASE_OPENED:
      return Outcome::kCaseOpened;
    case pb::OUTCOME_NEEDS_FOLLOW_UP:
      return Outcome::kNeedsFollowUp;
    default:
      return BadEnumValue(field, pb::Outcome_descriptor(), o);
  }
}

}  // namespace csops::queue

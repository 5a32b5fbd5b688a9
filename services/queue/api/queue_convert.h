// Conversions between the queue's domain types and csops.queue.v1 messages. The only place
// that knows both. Public messages never carry contact details.
#pragma once

#include "common/base/status.h"
#include "csops/queue/v1/queue_service.pb.h"
#include "services/queue/queue_engine.h"

namespace csops::queue {

namespace pb = ::csops::queue::v1;

void ToProto(const TicketView& v, pb::Ticket* out);
void ToProto(const CounterView& v, pb::CounterStatus* out);
void ToProto(const BranchView& v, pb::BranchSnapshot* out);
// nullopt for changes boards do not show.
std::optional<pb::BoardEvent> ToBoardEvent(const QueueChange& c);

// Request enums -> domain; UNSPECIFIED is kInvalidArgument naming `field`.
Result<PriorityClass> FromProto(pb::PriorityClass p, const char* field);
Result<Channel> FromProto(pb::Channel c, const char* field);
Result<ContactKind> FromProto(pb::ContactKind k, const char* field);
Result<Outcome> FromProto(pb::Outcome o, const char* field);

pb::ContactKind ToProto(ContactKind k);

}  // namespace csops::queue

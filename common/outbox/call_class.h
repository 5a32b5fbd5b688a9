// What the target's answer to one outbox row means for that row: the one classification every
// outbox relay uses (outbox_relay.h). Pure; unit-tested in call_class_test.cc.
//
//   accepted   OK: the target took the row.
//   duplicate  ALREADY_EXISTS: the target holds something under the row's idempotency key
//              already, with a request that differs in some field (a branch renamed, a link
//              rendered again at relay time). Final, and treated as delivered: keys are made from
//              the row itself (case:<number>:<row>, queue:<branch>:<ticket>, a plan task's key),
//              so only an earlier relay of this very row can have used the key; the notice went
//              out, or the case exists, and a retry would never change the answer. So the row is
//              marked relayed without a refusal (a ticket's notice shows as delivered, not
//              refused) and counted as duplicate, like an OK reply that says "duplicate".
//   refused    INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, PERMISSION_DENIED, OUT_OF_RANGE:
//              the target will never take this request (no usable contact, a case type not
//              configured, a key whose role may not call the method). Final: marked relayed
//              with the reason.
//   retry      everything else: UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL,
//              UNKNOWN, ABORTED, CANCELLED, DATA_LOSS, UNIMPLEMENTED (a peer not upgraded yet)
//              and UNAUTHENTICATED (a service key rotated on one process before the other):
//              transport or server trouble that passes. The same row is tried again later.
#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <string_view>

namespace csops::outbox {

enum class CallClass { kAccepted, kDuplicate, kRefused, kRetry };

CallClass ClassifyCall(grpc::StatusCode code);

// "accepted", "duplicate", "refused", "retry": the result label of csops_outbox_relayed_total
// (retry is never counted there).
std::string_view CallClassName(CallClass c);

}  // namespace csops::outbox

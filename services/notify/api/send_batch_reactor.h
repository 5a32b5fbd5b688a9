// The SendBatch stream (csops.notify.v1.NotifyService/SendBatch), registered as a raw method so
// every item arrives as bytes and is parsed here: gRPC's own parse failure of a streamed
// message looks exactly like a clean end of stream (OnReadDone(false)), which made a broken
// stream answer OK and silently drop everything after the bad item.
//
// Each item is converted and checked alone (a bad one is rejected, named, and the stream goes
// on); good ones are accepted in transactions of up to 2,000 items, and reading pauses while
// four transactions are committing, so a million-item stream uses bounded memory.
//
// An item that cannot be parsed (not a SendRequest; a string field that is not UTF-8) ends the
// call: the items before it are committed and counted, nothing after it is read, and the answer
// is INVALID_ARGUMENT naming the item (1-based), the field when it is a string that is not
// UTF-8, and the counts before it; the summary so far goes in the trailing metadata
// "csops-batch-summary-bin" (a serialized SendBatchSummary).
#pragma once

#include <grpcpp/grpcpp.h>

#include <functional>

#include "csops/notify/v1/notify_service.pb.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {

inline constexpr char kBatchSummaryTrailer[] = "csops-batch-summary-bin";

// A reactor for one SendBatch call that answers into `response` (a serialized
// SendBatchSummary). `on_broken` (may be empty) runs once when an unreadable item ends the call.
grpc::ServerReadReactor<grpc::ByteBuffer>* NewSendBatchReactor(NotifyEngine& engine,
                                                               grpc::CallbackServerContext* ctx,
                                                               grpc::ByteBuffer* response,
                                                               std::function<void()> on_broken);

// Parses one SendRequest from `bytes`; kInvalidArgument when it cannot, naming the first string
// field that is not UTF-8 (e.g. "recipient.name") when that is the reason.
Status ParseSendRequest(const grpc::ByteBuffer& bytes, v1::SendRequest* out);

}  // namespace csops::notify

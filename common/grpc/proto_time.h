// Conversions between csops instants/durations and google.protobuf.Timestamp/Duration, for
// every gRPC adapter. Millisecond precision (what csops stores).
#pragma once

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include "common/base/clock.h"

namespace csops {

void ToProtoTimestamp(Instant t, google::protobuf::Timestamp* out);
// Seconds outside years 1-9999 are clamped to that range (never an overflow).
Instant FromProtoTimestamp(const google::protobuf::Timestamp& t);
void ToProtoDuration(Duration d, google::protobuf::Duration* out);

}  // namespace csops

// The one mapping from csops::Status to grpc::Status.
//
// Every gRPC adapter returns ToGrpcStatus(core_result). The message is capped at
// kMaxGrpcMessageBytes (cut on a UTF-8 boundary, marked with "...") so a long value echoed into
// an error can never bloat a response or a log line, and control characters left in it are
// escaped (EscapeControls, common/base/text.h).
#pragma once

#include <grpcpp/support/status.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace csops {

inline constexpr std::size_t kMaxGrpcMessageBytes = 512;

grpc::StatusCode ToGrpcCode(StatusCode code);
grpc::Status ToGrpcStatus(const Status& status);

// Truncates `text` to at most `max_bytes` without splitting a UTF-8 sequence; appends "..." when
// it cut anything (the result, "..." included, fits in max_bytes). REQUIRES: max_bytes >= 3.
std::string CapUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace csops

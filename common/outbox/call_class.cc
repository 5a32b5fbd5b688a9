#include "common/outbox/call_class.h"

namespace csops::outbox {

CallClass ClassifyCall(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return CallClass::kAccepted;
    case grpc::StatusCode::ALREADY_EXISTS:
      return CallClass::kDuplicate;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::OUT_OF_RANGE:
      return CallClass::kRefused;
    default:
      return CallClass::kRetry;
  }
}

std::string_view CallClassName(CallClass c) {
  switch (c) {
    case CallClass::kAccepted:
      return "accepted";
    case CallClass::kDuplicate:
      return "duplicate";
    case CallClass::kRefused:
      return "refused";
    case CallClass::kRetry:
      return "retry";
  }
  return "retry";
}

}  // namespace csops::outbox

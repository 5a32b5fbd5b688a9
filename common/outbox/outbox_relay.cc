#include "common/outbox/outbox_relay.h"

#include "common/base/log.h"
#include "common/grpc/grpc_metrics_interceptor.h"

namespace csops::outbox {

namespace {
constexpr std::size_t kMaxRefusalBytes = 500;
}  // namespace

RelayLedger::RelayLedger(std::string name, std::string target, prometheus::Registry& registry)
    : name_(std::move(name)),
      target_(std::move(target)),
      relayed_(prometheus::BuildCounter()
                   .Name("csops_outbox_relayed_total")
                   .Help("Outbox rows handed to their target service (notify's Send, or case's "
                         "CreateCase for notify's staff tasks), by source and result "
                         "(accepted, duplicate, refused)")
                   .Register(registry)) {
  for (CallClass c : {CallClass::kAccepted, CallClass::kDuplicate, CallClass::kRefused})
    relayed_.Add({{"source", name_}, {"result", std::string(CallClassName(c))}});
}

std::optional<std::string> RelayLedger::Settle(std::int64_t id, const std::string& kind,
                                               const CallAnswer& answer) {
  const grpc::Status& s = answer.status;
  CallClass c = ClassifyCall(s.error_code());
  if (c == CallClass::kAccepted && answer.duplicate) c = CallClass::kDuplicate;
  const char* code = metrics::GrpcCodeName(s.error_code());
  switch (c) {
    case CallClass::kRetry:
      CSOPS_LOG(kWarning, "outbox_relay_unavailable")
          .Kv("source", name_)
          .Kv("target", target_)
          .Kv("code", code)
          .Kv("error", s.error_message());
      return std::nullopt;
    case CallClass::kRefused: {
      std::string reason = s.error_message().empty()
                               ? std::string("refused: ") + code
                               : s.error_message().substr(0, kMaxRefusalBytes);
      relayed_.Add({{"source", name_}, {"result", "refused"}}).Increment();
      CSOPS_LOG(kWarning, "outbox_row_refused")
          .Kv("source", name_)
          .Kv("row", id)
          .Kv("kind", kind)
          .Kv("code", code)
          .Kv("reason", reason);
      return reason;
    }
    case CallClass::kDuplicate:
      if (!s.ok())  // the key was taken with a request that differs: worth a line
        CSOPS_LOG(kWarning, "outbox_row_duplicate")
            .Kv("source", name_)
            .Kv("row", id)
            .Kv("kind", kind)
            .Kv("reason", s.error_message());
      break;
    case CallClass::kAccepted:
      break;
  }
  relayed_.Add({{"source", name_}, {"result", std::string(CallClassName(c))}}).Increment();
  return std::string();
}

std::string RelayLedger::LocallyRefused(std::int64_t id, const std::string& kind,
                                        const std::string& reason) {
  relayed_.Add({{"source", name_}, {"result", "refused"}}).Increment();
  CSOPS_LOG(kWarning, "outbox_row_refused")
      .Kv("source", name_)
      .Kv("row", id)
      .Kv("kind", kind)
      .Kv("reason", reason);
  return reason.substr(0, kMaxRefusalBytes);
}

void RelayLedger::ReadFailed(const Status& s) {
  CSOPS_LOG(kError, "outbox_read_failed").Kv("source", name_).Kv("error", s.ToString());
}

void RelayLedger::MarkFailed(std::int64_t id, const Status& s) {
  CSOPS_LOG(kError, "outbox_mark_failed")
      .Kv("source", name_)
      .Kv("row", id)
      .Kv("error", s.ToString());
}

}  // namespace csops::outbox

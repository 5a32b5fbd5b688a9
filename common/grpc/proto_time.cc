#include "common/grpc/proto_time.h"

#include <algorithm>

namespace csops {

void ToProtoTimestamp(Instant t, google::protobuf::Timestamp* out) {
  const std::int64_t ms = ToUnixMillis(t);
  std::int64_t secs = ms / 1000, rem = ms % 1000;
  if (rem < 0) {  // before 1970: nanos must stay non-negative
    rem += 1000;
    secs -= 1;
  }
  out->set_seconds(secs);
  out->set_nanos(static_cast<int>(rem) * 1'000'000);
}

Instant FromProtoTimestamp(const google::protobuf::Timestamp& t) {
  // Clamped to Timestamp's valid range (years 1-9999), so a hostile value cannot overflow; the
  // callers' own range checks then refuse it by name.
  const std::int64_t secs = std::clamp<std::int64_t>(t.seconds(), -62135596800, 253402300799);
  return FromUnixMillis(secs * 1000 + t.nanos() / 1'000'000);
}

void ToProtoDuration(Duration d, google::protobuf::Duration* out) {
  out->set_seconds(d.count() / 1000);
  out->set_nanos(static_cast<int>(d.count() % 1000) * 1'000'000);
}

}  // namespace csops

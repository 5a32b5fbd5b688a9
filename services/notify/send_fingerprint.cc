#include "services/notify/send_fingerprint.h"

#include "common/base/digest.h"

namespace csops::notify {
namespace {

// Length-prefixed fields, so no two different commands share an encoding.
class Canonical {
 public:
  Canonical& Add(std::string_view s) {
    out_ += std::to_string(s.size());
    out_ += ':';
    out_ += s;
    return *this;
  }
  Canonical& Add(std::int64_t n) { return Add(std::to_string(n)); }
  template <typename List>
  Canonical& AddAll(const List& items) {
    Add(static_cast<std::int64_t>(items.size()));
    for (const auto& i : items) Add(i);
    return *this;
  }
  const std::string& str() const { return out_; }

 private:
  std::string out_;
};

}  // namespace

std::string SendFingerprint(const SendCommand& c) {
  Canonical k;
  k.Add("send/1").Add(c.kind).Add(c.locale);
  const RecipientRecord& r = c.recipient;
  k.Add(r.customer_number).Add(r.name).Add(r.email).Add(r.mobile);
  k.AddAll(r.push_tokens).AddAll(r.postal_address);
  k.Add(static_cast<std::int64_t>(c.variables.size()));
  for (const auto& [name, value] : c.variables) k.Add(name).Add(value);  // sorted by name
  k.Add(static_cast<std::int64_t>(c.mode));
  k.Add(static_cast<std::int64_t>(c.channels.size()));
  for (Channel ch : c.channels) k.Add(static_cast<std::int64_t>(ch));
  k.Add(c.send_after ? "at" : "now");
  if (c.send_after) k.Add(ToUnixMillis(*c.send_after));
  k.Add(c.urgent ? 1 : 0).Add(c.plan_key);
  const Sha256Digest digest = Sha256(k.str());
  return HexLower(digest.data(), digest.size());
}

bool SameSend(const NotificationRecord& n, const SendCommand& cmd, const std::string& fingerprint) {
  if (!n.request_fingerprint.empty()) return n.request_fingerprint == fingerprint;
  // Before schema version 3: what the row holds (policy channels and send_after were not kept).
  return n.kind == cmd.kind && n.locale == cmd.locale && n.recipient == cmd.recipient &&
         n.variables == cmd.variables && n.urgent == cmd.urgent &&
         n.fallback == (cmd.mode == PolicyMode::kFallback) && n.plan_key == cmd.plan_key;
}

}  // namespace csops::notify

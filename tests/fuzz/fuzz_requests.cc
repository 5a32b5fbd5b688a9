// Request validation of every service, through the real engines: the first byte picks the
// request, the rest is its fields (NUL-separated) or, for notify, a serialized SendRequest.
// Any request is accepted or refused with a message naming a field; never a crash.
#include "csops/notify/v1/notify_service.pb.h"
#include "services/notify/notify_service.h"
#include "tests/fuzz/fuzz_engines.h"

namespace {

using csops::fuzz::Await;
using csops::fuzz::Engines;

void CheckNamed(const csops::Status& s) {
  // A refusal says what it is about: a field name, or the state it concerns.
  if (!s.ok() && s.message().empty()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Engines& e = Engines::Get();
  const uint8_t which = data[0] % 3;
  ++data;
  --size;
  if (which == 0) {
    csops::notify::v1::SendRequest req;
    if (!req.ParseFromArray(data, static_cast<int>(size))) return 0;
    auto cmd = csops::notify::NotifyService::ToCommand(req);
    if (!cmd.ok()) return CheckNamed(cmd.status()), 0;
    auto prepared = e.notify->Prepare(*cmd);
    CheckNamed(prepared.status());
    return 0;
  }
  auto f = csops::fuzz::Fields(data, size, 8);
  if (which == 1) {
    csops::queue::IssueCommand cmd{
        f[0],
        f[1],
        csops::queue::PriorityClass::kNormal,
        csops::queue::Channel::kKiosk,
        f[2].empty() ? csops::queue::ContactKind::kNone : csops::queue::ContactKind::kSms,
        f[2],
        f[3]};
    auto r = Await<csops::queue::TicketView>([&](auto done) { e.queue->Issue(cmd, done); });
    CheckNamed(r.status());
    return 0;
  }
  csops::cases::CreateCaseCommand cmd;
  cmd.type_code = f[0];
  cmd.branch_id = f[1];
  cmd.applicant.name = f[2];
  cmd.applicant.phone = f[3];
  cmd.applicant.email = f[4];
  cmd.received_via = f[5];
  cmd.summary = f[6];
  cmd.staff_id = "FUZZ";
  cmd.idempotency_key = f[7];
  auto r = Await<csops::cases::CreatedCase>([&](auto done) { e.cases->Create(cmd, done); });
  CheckNamed(r.status());
  return 0;
}

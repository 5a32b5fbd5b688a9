// Request validation of every service, through the real engines: the first byte picks the
// request, the rest is its fields (NUL-separated; any bytes, so control characters and invalid
// UTF-8 reach every string field) or, for notify, a serialized SendRequest.
// Any request is accepted or refused with a message naming a field; never a crash, and never a
// message holding a raw control character or invalid UTF-8 (echoed values are quoted).
#include "common/base/civil_date.h"
#include "common/base/text.h"
#include "common/grpc/time_check.h"
#include "csops/notify/v1/notify_service.pb.h"
#include "services/notify/api/notify_service.h"
#include "tests/fuzz/fuzz_engines.h"

namespace {

using csops::fuzz::Await;
using csops::fuzz::Engines;

void CheckNamed(const csops::Status& s) {
  if (s.ok()) return;
  // A refusal says what it is about: a field name, or the state it concerns.
  if (s.message().empty()) __builtin_trap();
  // What a caller sent comes back escaped: nothing left for EscapeControls to do.
  if (csops::EscapeControls(s.message()) != s.message()) __builtin_trap();
}

// One case the text commands work on, created on first use.
const std::string& FuzzCase(Engines& e) {
  static const std::string number = [&e] {
    csops::cases::CreateCaseCommand cmd;
    cmd.type_code = "complaint";
    cmd.branch_id = "taipei-south";
    cmd.applicant.name = "王小明";
    cmd.received_via = "counter";
    cmd.summary = "fuzz";
    cmd.staff_id = "FUZZ";
    cmd.idempotency_key = "fuzz-case";
    auto r = Await<csops::cases::CreatedCase>([&](auto done) { e.cases->Create(cmd, done); });
    if (!r.ok()) __builtin_trap();
    return r->view.record.acceptance_number;
  }();
  return number;
}

std::int64_t Int64(const std::string& s) {
  std::int64_t v = 0;
  for (std::size_t i = 0; i < s.size() && i < 8; ++i)
    v = static_cast<std::int64_t>((static_cast<std::uint64_t>(v) << 8) |
                                  static_cast<unsigned char>(s[i]));
  return v;
}

void NotifyFields(Engines& e, const std::vector<std::string>& f) {
  csops::notify::SendCommand cmd;
  cmd.idempotency_key = f[0];
  cmd.kind = f[1].empty() ? "bill_unpaid" : f[1];
  cmd.recipient.customer_number = "01234567890";
  cmd.recipient.name = f[2];
  cmd.recipient.email = "ming@example.com";
  if (!f[3].empty()) cmd.recipient.postal_address = {f[3]};
  cmd.variables = {{"bill_month", "115年10月"}, {"amount", "1"}, {"due_date", "2026-12-05"}};
  cmd.variables[f[4]] = f[5];
  CheckNamed(e.notify->Prepare(cmd).status());
}

void CaseText(Engines& e, const std::vector<std::string>& f) {
  const std::string& number = FuzzCase(e);
  using View = csops::cases::CaseView;
  CheckNamed(Await<View>([&](auto d) { e.cases->AddNote(number, f[0], f[1], d); }).status());
  CheckNamed(
      Await<View>([&](auto d) { e.cases->DeclareDelay(number, "FUZZ", f[2], f[3], d); }).status());
  CheckNamed(Await<View>([&](auto d) { e.cases->Assign(number, "FUZZ", f[4], f[5], d); }).status());
  CheckNamed(e.cases->Get(f[6]).status());
  CheckNamed(e.cases->Lookup(f[6], f[7], "zh-TW").status());
}

void CaseFilters(Engines& e, const std::vector<std::string>& f) {
  csops::cases::CaseEngine::ListQuery q;
  q.filter.type_code = f[0];
  q.filter.branch_id = f[1];
  q.filter.assignee = f[2];
  q.page_size = 1;
  q.page_token = f[3];
  CheckNamed(e.cases->List(q).status());
  const csops::Instant now = e.clock.Now();
  CheckNamed(e.cases->Report(now - std::chrono::hours(24), now, f[1], f[0]).status());
}

void QueueText(Engines& e, const std::vector<std::string>& f) {
  using csops::queue::TicketView;
  csops::queue::TransferCommand t{{"taipei-south", f[0], f[1]}, f[2], f[3], f[4]};
  CheckNamed(Await<TicketView>([&](auto d) { e.queue->Transfer(t, d); }).status());
  CheckNamed(Await<csops::queue::CounterView>([&](auto d) {
               e.queue->OpenCounter("taipei-south", f[0], f[5], {f[6]}, d);
             }).status());
  CheckNamed(e.queue->GetTicket(f[7], f[1]).status());
}

void Times(const std::vector<std::string>& f) {
  google::protobuf::Timestamp t;
  t.set_seconds(Int64(f[0]));
  t.set_nanos(static_cast<std::int32_t>(Int64(f[1])));
  auto at = csops::CheckTimestamp("due_before", t);
  CheckNamed(at.status());
  if (at.ok() && (t.nanos() < 0 || t.nanos() > 999'999'999)) __builtin_trap();
  auto day = csops::CheckDate("new_expected_date", f[2]);
  CheckNamed(day.status());
  // Strict: a date that parses is written exactly as it was typed.
  if (day.ok() && csops::FormatIsoDate(*day) != f[2]) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Engines& e = Engines::Get();
  const uint8_t which = data[0] % 8;
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
  if (which == 3) return NotifyFields(e, f), 0;
  if (which == 4) return CaseText(e, f), 0;
  if (which == 5) return CaseFilters(e, f), 0;
  if (which == 6) return QueueText(e, f), 0;
  if (which == 7) return Times(f), 0;
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

// csopsctl case ...: register and follow applications and complaints from a terminal.
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>

#include "common/base/clock.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"

namespace csops::ctl {
namespace {

namespace pb = csops::case_::v1;

constexpr char kCaseUsage[] =
    "usage: csopsctl case <command> [options] [ACCEPTANCE_NUMBER]\n"
    "  create      --type=CODE --branch=ID --name=NAME --staff=ID --summary=TEXT\n"
    "              [--phone=P] [--email=E] [--customer-number=N] [--notify=email,sms,app,post]\n"
    "              [--via=counter|phone|web|app|mail|fax] [--locale=zh-TW|en] [--key=K]\n"
    "  get         NUMBER                        the case, its SLA targets and history\n"
    "  transition  --to=in_progress|waiting_customer|completed|rejected|withdrawn --staff=ID\n"
    "              [--note=TEXT] NUMBER\n"
    "  note        --staff=ID --note=TEXT NUMBER\n"
    "  delay       --staff=ID --reason=TEXT --date=YYYY-MM-DD NUMBER\n"
    "  lookup      --code=CODE [--locale=en] NUMBER   the public answer\n"
    "  assign      --staff=ID [--department=D] [--assignee=ID] NUMBER\n"
    "  list        [--status=S] [--type=T] [--branch=B] [--assignee=ID]\n"
    "              [--sla=on_track|warning|breached|paused] [--limit=N]\n"
    "  watch       [--branch=B] [--type=T] [--count=N] [--for=SECONDS] [--after=CURSOR]\n"
    "              SLA events, live; --after: first every event after CURSOR (printed with\n"
    "              each event), e.g. the last one seen before a disconnect; 0 for all\n"
    "  report      --from=YYYY-MM-DD --to=YYYY-MM-DD [--branch=B] [--type=T]  (UTC days)\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "csopsctl case: %s\n", why.c_str());
  std::fputs(kCaseUsage, stderr);
  return 2;
}

std::string Ts(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return FormatRfc3339Utc(FromUnixMillis(t.seconds() * 1000 + t.nanos() / 1'000'000));
}

std::string Lower(std::string s, const std::string& prefix) {
  s = s.substr(prefix.size());
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void PrintCase(const pb::Case& c) {
  std::printf("%s  %s  %s  branch %s\n", c.acceptance_number().c_str(), c.type_code().c_str(),
              Lower(pb::CaseStatus_Name(c.status()), "CASE_STATUS_").c_str(),
              c.branch_id().c_str());
  std::printf("accepted %s  summary: %s\n", Ts(c.accepted_at()).c_str(), c.summary().c_str());
  for (const auto& t : c.targets())
    std::printf("  target %-12s due %s  %s\n", t.name().c_str(),
                t.has_due_at() ? Ts(t.due_at()).c_str() : "(paused)",
                Lower(pb::SlaState_Name(t.state()), "SLA_STATE_").c_str());
  if (!c.delay_reason().empty())
    std::printf("  delay: %s (new date %s)\n", c.delay_reason().c_str(),
                c.delay_new_date().c_str());
  for (const auto& h : c.history())
    std::printf("  %s %-8s %-10s %s\n", Ts(h.at()).c_str(), h.kind().c_str(), h.actor().c_str(),
                h.note().c_str());
}

std::optional<pb::CaseStatus> ParseStatus(const std::string& s) {
  pb::CaseStatus out;
  std::string name = "CASE_STATUS_";
  for (char c : s) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!pb::CaseStatus_Parse(name, &out) || out == pb::CASE_STATUS_UNSPECIFIED) return std::nullopt;
  return out;
}

}  // namespace

int RunCase(const GlobalOptions& o, const std::vector<std::string>& raw) {
  if (raw.empty()) return Usage("missing command");
  const std::string cmd = raw[0];
  std::string parse_error;
  CommandArgs a = ParseCommandArgs(raw, &parse_error);
  if (!parse_error.empty()) return Usage(parse_error);
  auto stub = pb::CaseService::NewStub(NewChannel(o));
  auto ctx = NewContext(o);
  if (cmd == "list") {
    pb::ListCasesRequest r;
    if (!a.Get("status").empty()) {
      auto st = ParseStatus(a.Get("status"));
      if (!st) return Usage("--status: unknown status '" + a.Get("status") + "'");
      r.set_status(*st);
    }
    r.set_type_code(a.Get("type"));
    r.set_branch_id(a.Get("branch"));
    r.set_assignee(a.Get("assignee"));
    if (!a.Get("sla").empty()) {
      pb::SlaState state;
      std::string name = "SLA_STATE_";
      for (char ch : a.Get("sla"))
        name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      if (!pb::SlaState_Parse(name, &state)) return Usage("--sla: unknown state");
      r.set_sla_state(state);
    }
    const int limit = std::stoi(a.Get("limit", "50"));
    int shown = 0;
    for (;;) {
      auto page_ctx = NewContext(o);
      r.set_page_size(std::min(limit - shown, 500));
      pb::ListCasesResponse resp;
      if (int rc = CheckCall(stub->ListCases(page_ctx.get(), r, &resp))) return rc;
      for (const auto& c : resp.cases()) {
        std::printf("%s  %-20s %-16s", c.acceptance_number().c_str(), c.type_code().c_str(),
                    Lower(pb::CaseStatus_Name(c.status()), "CASE_STATUS_").c_str());
        for (const auto& t : c.targets())
          std::printf("  %s:%s", t.name().c_str(),
                      Lower(pb::SlaState_Name(t.state()), "SLA_STATE_").c_str());
        std::printf("\n");
        ++shown;
      }
      if (resp.next_page_token().empty() || shown >= limit) break;
      r.set_page_token(resp.next_page_token());
    }
    return 0;
  }
  if (cmd == "watch") {
    pb::WatchSlaEventsRequest r;
    r.set_branch_id(a.Get("branch"));
    r.set_type_code(a.Get("type"));
    r.set_after_cursor(a.Get("after"));
    grpc::ClientContext wctx;
    o.auth.Apply(&wctx);
    wctx.set_deadline(
        std::chrono::system_clock::now() +
        std::chrono::milliseconds(static_cast<long>(std::stod(a.Get("for", "3600")) * 1000)));
    const int count = std::stoi(a.Get("count", "0"));
    auto reader = stub->WatchSlaEvents(&wctx, r);
    pb::SlaEventNotice e;
    int n = 0;
    while (reader->Read(&e)) {
      std::printf("%s  %s  %-12s %-11s due %s%s  cursor=%s\n", Ts(e.fired_at()).c_str(),
                  e.acceptance_number().c_str(), e.target().c_str(), e.event().c_str(),
                  Ts(e.due_at()).c_str(), e.late() ? "  (late)" : "", e.cursor().c_str());
      std::fflush(stdout);
      if (count > 0 && ++n >= count) {
        wctx.TryCancel();
        break;
      }
    }
    grpc::Status st = reader->Finish();
    if ((count > 0 && n >= count) || st.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED)
      return 0;
    return CheckCall(st);
  }
  if (cmd == "report") {
    pb::GetSlaReportRequest r;
    for (const char* key : {"from", "to"}) {
      int y = 0, m = 0, d = 0;
      if (std::sscanf(a.Get(key).c_str(), "%d-%d-%d", &y, &m, &d) != 3)
        return Usage(std::string("--") + key + ": expected YYYY-MM-DD");
      absl::Time t = absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone());
      auto* ts = std::string(key) == "from" ? r.mutable_from() : r.mutable_to();
      ts->set_seconds(absl::ToUnixSeconds(t));
    }
    r.set_branch_id(a.Get("branch"));
    r.set_type_code(a.Get("type"));
    pb::GetSlaReportResponse resp;
    if (int rc = CheckCall(stub->GetSlaReport(ctx.get(), r, &resp))) return rc;
    std::printf("%-20s %7s %7s %7s %10s %10s %6s %8s\n", "type", "closed", "within", "share",
                "median h", "p90 h", "open", "breached");
    for (const auto& t : resp.types())
      std::printf("%-20s %7lld %7lld %6.1f%% %10.1f %10.1f %6lld %8lld\n", t.type_code().c_str(),
                  static_cast<long long>(t.closed()), static_cast<long long>(t.closed_within_sla()),
                  100 * t.share_within_sla(), t.median_resolution_business_seconds() / 3600,
                  t.p90_resolution_business_seconds() / 3600, static_cast<long long>(t.open()),
                  static_cast<long long>(t.open_breached()));
    return 0;
  }
  if (cmd != "create" && a.positional.size() != 1)
    return Usage(cmd + " needs one acceptance number");

  if (cmd == "create") {
    pb::CreateCaseRequest r;
    r.set_type_code(a.Get("type"));
    r.set_branch_id(
        a.Get("branch", std::getenv("CSOPS_BRANCH") ? std::getenv("CSOPS_BRANCH") : ""));
    auto* ap = r.mutable_applicant();
    ap->set_name(a.Get("name"));
    ap->set_phone(a.Get("phone"));
    ap->set_email(a.Get("email"));
    ap->set_customer_number(a.Get("customer-number"));
    ap->set_locale(a.Get("locale", "zh-TW"));
    std::stringstream in(a.Get("notify"));
    for (std::string ch; std::getline(in, ch, ',');) {
      if (ch == "email")
        ap->add_preferred_channels(pb::NOTICE_CHANNEL_EMAIL);
      else if (ch == "sms")
        ap->add_preferred_channels(pb::NOTICE_CHANNEL_SMS);
      else if (ch == "app")
        ap->add_preferred_channels(pb::NOTICE_CHANNEL_APP_PUSH);
      else if (ch == "post")
        ap->add_preferred_channels(pb::NOTICE_CHANNEL_POST);
      else if (!ch.empty())
        return Usage("--notify: unknown channel '" + ch + "'");
    }
    const std::string via = a.Get("via", "counter");
    const char* vias[] = {"", "counter", "phone", "web", "app", "mail", "fax"};
    for (int i = 1; i <= 6; ++i)
      if (via == vias[i]) r.set_received_via(static_cast<pb::ReceivedVia>(i));
    r.set_summary(a.Get("summary"));
    r.set_staff_id(a.Get("staff"));
    std::string key = a.Get("key");
    if (key.empty())
      key = "csopsctl-" + std::to_string(getpid()) + "-" +
            std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    r.set_idempotency_key(key);
    pb::CreateCaseResponse resp;
    if (int rc = CheckCall(stub->CreateCase(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    std::printf("look-up code %s (give it to the applicant; it is not shown again)\n",
                resp.lookup_code().c_str());
    std::printf("look-up link %s\n", resp.lookup_url().c_str());
    return 0;
  }
  const std::string number = a.positional[0];
  if (cmd == "get") {
    pb::GetCaseRequest r;
    r.set_acceptance_number(number);
    pb::GetCaseResponse resp;
    if (int rc = CheckCall(stub->GetCase(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "transition") {
    auto to = ParseStatus(a.Get("to"));
    if (!to) return Usage("--to: unknown status '" + a.Get("to") + "'");
    pb::TransitionRequest r;
    r.set_acceptance_number(number);
    r.set_to_status(*to);
    r.set_staff_id(a.Get("staff"));
    r.set_note(a.Get("note"));
    pb::TransitionResponse resp;
    if (int rc = CheckCall(stub->Transition(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "note") {
    pb::AddNoteRequest r;
    r.set_acceptance_number(number);
    r.set_staff_id(a.Get("staff"));
    r.set_note(a.Get("note"));
    pb::AddNoteResponse resp;
    if (int rc = CheckCall(stub->AddNote(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "delay") {
    pb::DeclareDelayRequest r;
    r.set_acceptance_number(number);
    r.set_staff_id(a.Get("staff"));
    r.set_reason(a.Get("reason"));
    r.set_new_expected_date(a.Get("date"));
    pb::DeclareDelayResponse resp;
    if (int rc = CheckCall(stub->DeclareDelay(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "assign") {
    pb::AssignRequest r;
    r.set_acceptance_number(number);
    r.set_staff_id(a.Get("staff"));
    r.set_department(a.Get("department"));
    r.set_assignee(a.Get("assignee"));
    pb::AssignResponse resp;
    if (int rc = CheckCall(stub->Assign(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "lookup") {
    pb::LookupProgressRequest r;
    r.set_acceptance_number(number);
    r.set_lookup_code(a.Get("code"));
    r.set_locale(a.Get("locale", "zh-TW"));
    pb::LookupProgressResponse resp;
    if (int rc = CheckCall(stub->LookupProgress(ctx.get(), r, &resp))) return rc;
    std::printf("%s  %s  %s\n", resp.acceptance_number().c_str(), resp.type_name().c_str(),
                resp.status_text().c_str());
    for (const auto& s : resp.timeline())
      std::printf("  %s  %s\n", Ts(s.at()).c_str(), s.text().c_str());
    std::printf("expected completion %s%s%s\n", resp.expected_completion_date().c_str(),
                resp.delay_reason().empty() ? "" : "  delay: ", resp.delay_reason().c_str());
    return 0;
  }
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace csops::ctl

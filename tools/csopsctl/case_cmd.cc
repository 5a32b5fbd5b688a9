// csopsctl case ...: register and follow applications and complaints from a terminal. Every
// subcommand is a CLI11 subcommand with its own options (`csopsctl case <command> --help`).
#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "common/base/clock.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

namespace pb = csops::case_::v1;

// The options of one `case` command line; each subcommand has its own and sets those it takes.
struct CaseArgs {
  std::string cmd;     // the subcommand: "create", "get", ...
  std::string number;  // the acceptance number
  std::string type, branch, name, staff, summary, phone, email, customer_number, notify;  // create
  std::string via = "counter", locale = "zh-TW", key;
  std::string to, note;              // transition, note
  std::string reason, date;          // delay
  std::string code;                  // lookup
  std::string department, assignee;  // assign
  std::string status, sla;           // list
  int limit = 50;
  int count = 0;  // watch
  double for_s = 3600;
  std::string after;
  std::string from, until;  // report: --from, --to
};

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

std::optional<pb::SlaState> ParseSla(const std::string& s) {
  pb::SlaState out;
  std::string name = "SLA_STATE_";
  for (char c : s) name += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!pb::SlaState_Parse(name, &out) || out == pb::SLA_STATE_UNSPECIFIED) return std::nullopt;
  return out;
}

// --status and --to: a case status such as in_progress.
CLI::Validator CaseStatus() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return ParseStatus(text) ? "" : "unknown status '" + text + "'";
      },
      "");
}

// --sla: a target state such as breached.
CLI::Validator SlaState() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        return ParseSla(text) ? "" : "unknown state '" + text + "'";
      },
      "");
}

int RunCase(const GlobalOptions& o, const CaseArgs& a) {
  const std::string& cmd = a.cmd;
  auto stub = pb::CaseService::NewStub(NewChannel(o));
  auto ctx = NewContext(o);
  if (cmd == "list") {
    pb::ListCasesRequest r;
    if (!a.status.empty()) r.set_status(*ParseStatus(a.status));
    r.set_type_code(a.type);
    r.set_branch_id(a.branch);
    r.set_assignee(a.assignee);
    if (!a.sla.empty()) r.set_sla_state(*ParseSla(a.sla));
    const int limit = a.limit;
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
    r.set_branch_id(a.branch);
    r.set_type_code(a.type);
    r.set_after_cursor(a.after);
    grpc::ClientContext wctx;
    o.auth.Apply(&wctx);
    wctx.set_deadline(std::chrono::system_clock::now() +
                      std::chrono::milliseconds(static_cast<long>(a.for_s * 1000)));
    const int count = a.count;
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
    for (const auto& [flag, day, ts] :
         {std::tuple{"--from", &a.from, r.mutable_from()}, {"--to", &a.until, r.mutable_to()}}) {
      int y = 0, m = 0, d = 0;
      if (std::sscanf(day->c_str(), "%d-%d-%d", &y, &m, &d) != 3)
        return UsageError("case report", std::string(flag) + ": expected YYYY-MM-DD");
      absl::Time t = absl::FromCivil(absl::CivilDay(y, m, d), absl::UTCTimeZone());
      ts->set_seconds(absl::ToUnixSeconds(t));
    }
    r.set_branch_id(a.branch);
    r.set_type_code(a.type);
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
  if (cmd == "create") {
    pb::CreateCaseRequest r;
    r.set_type_code(a.type);
    r.set_branch_id(a.branch);
    auto* ap = r.mutable_applicant();
    ap->set_name(a.name);
    ap->set_phone(a.phone);
    ap->set_email(a.email);
    ap->set_customer_number(a.customer_number);
    ap->set_locale(a.locale);
    std::stringstream in(a.notify);
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
        return UsageError("case create", "--notify: unknown channel '" + ch + "'");
    }
    const std::string& via = a.via;
    const char* vias[] = {"", "counter", "phone", "web", "app", "mail", "fax"};
    for (int i = 1; i <= 6; ++i)
      if (via == vias[i]) r.set_received_via(static_cast<pb::ReceivedVia>(i));
    r.set_summary(a.summary);
    r.set_staff_id(a.staff);
    std::string key = a.key;
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
  const std::string& number = a.number;
  if (cmd == "get") {
    pb::GetCaseRequest r;
    r.set_acceptance_number(number);
    pb::GetCaseResponse resp;
    if (int rc = CheckCall(stub->GetCase(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "transition") {
    pb::TransitionRequest r;
    r.set_acceptance_number(number);
    r.set_to_status(*ParseStatus(a.to));
    r.set_staff_id(a.staff);
    r.set_note(a.note);
    pb::TransitionResponse resp;
    if (int rc = CheckCall(stub->Transition(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "note") {
    pb::AddNoteRequest r;
    r.set_acceptance_number(number);
    r.set_staff_id(a.staff);
    r.set_note(a.note);
    pb::AddNoteResponse resp;
    if (int rc = CheckCall(stub->AddNote(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "delay") {
    pb::DeclareDelayRequest r;
    r.set_acceptance_number(number);
    r.set_staff_id(a.staff);
    r.set_reason(a.reason);
    r.set_new_expected_date(a.date);
    pb::DeclareDelayResponse resp;
    if (int rc = CheckCall(stub->DeclareDelay(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "assign") {
    pb::AssignRequest r;
    r.set_acceptance_number(number);
    r.set_staff_id(a.staff);
    r.set_department(a.department);
    r.set_assignee(a.assignee);
    pb::AssignResponse resp;
    if (int rc = CheckCall(stub->Assign(ctx.get(), r, &resp))) return rc;
    PrintCase(resp.case_());
    return 0;
  }
  if (cmd == "lookup") {
    pb::LookupProgressRequest r;
    r.set_acceptance_number(number);
    r.set_lookup_code(a.code);
    r.set_locale(a.locale);
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
  return UsageError("case", "unknown command '" + cmd + "'");
}

}  // namespace

void AddCase(CLI::App& app, const GlobalOptions& options, Command* run) {
  auto* cases = app.add_subcommand("case", "applications and complaints");
  cases->require_subcommand(1);
  // A subcommand with its own options (so that one's defaults never reach another).
  auto command = [cases, &options, run](const char* name, const char* what) {
    auto a = std::make_shared<CaseArgs>();
    a->cmd = name;
    auto* sub = cases->add_subcommand(name, what);
    sub->callback([&options, run, a] { *run = [&options, a] { return RunCase(options, *a); }; });
    return std::make_pair(sub, a);
  };
  auto number = [](CLI::App* sub, CaseArgs& a) {
    sub->add_option("NUMBER", a.number, "acceptance number, e.g. TS-260105-0001-7")->required();
  };
  auto staff = [](CLI::App* sub, CaseArgs& a) {
    sub->add_option("--staff", a.staff, "staff ID of who does it")->required();
  };

  {
    auto [sub, a] = command("create", "register an application or complaint");
    sub->add_option("--type", a->type, "case type code")->required();
    sub->add_option("--branch", a->branch, "branch ID")->envname("CSOPS_BRANCH")->required();
    sub->add_option("--name", a->name, "the applicant's name")->required();
    staff(sub, *a);
    sub->add_option("--summary", a->summary, "what the case is about")->required();
    sub->add_option("--phone", a->phone, "the applicant's phone");
    sub->add_option("--email", a->email, "the applicant's e-mail");
    sub->add_option("--customer-number", a->customer_number, "the customer number");
    sub->add_option("--notify", a->notify, "comma list of email, sms, app, post");
    sub->add_option("--via", a->via, "how the case was received")
        ->check(CLI::IsMember({"counter", "phone", "web", "app", "mail", "fax"}))
        ->capture_default_str();
    sub->add_option("--locale", a->locale, "the applicant's language (zh-TW or en)")
        ->capture_default_str();
    sub->add_option("--key", a->key, "idempotency key (default: a fresh one)");
  }
  {
    auto [sub, a] = command("get", "the case, its SLA targets and history");
    number(sub, *a);
  }
  {
    auto [sub, a] = command("transition", "move the case to another status");
    sub->add_option("--to", a->to,
                    "in_progress, waiting_customer, completed, rejected or withdrawn")
        ->check(CaseStatus())
        ->required();
    staff(sub, *a);
    sub->add_option("--note", a->note, "note for the history");
    number(sub, *a);
  }
  {
    auto [sub, a] = command("note", "add a note to the history");
    staff(sub, *a);
    sub->add_option("--note", a->note, "the note")->required();
    number(sub, *a);
  }
  {
    auto [sub, a] = command("delay", "declare a delay: its reason and the new date");
    staff(sub, *a);
    sub->add_option("--reason", a->reason, "why the case is late")->required();
    sub->add_option("--date", a->date, "new expected date YYYY-MM-DD")->required();
    number(sub, *a);
  }
  {
    auto [sub, a] = command("lookup", "the public answer (no personal data)");
    sub->add_option("--code", a->code, "the look-up code given to the applicant")->required();
    sub->add_option("--locale", a->locale, "zh-TW or en")->capture_default_str();
    number(sub, *a);
  }
  {
    auto [sub, a] = command("assign", "give the case to a department or a staff member");
    staff(sub, *a);
    sub->add_option("--department", a->department, "department");
    sub->add_option("--assignee", a->assignee, "staff ID of the assignee");
    number(sub, *a);
  }
  {
    auto [sub, a] = command("list", "cases, newest first");
    sub->add_option("--status", a->status, "only this status")->check(CaseStatus());
    sub->add_option("--type", a->type, "only this case type");
    sub->add_option("--branch", a->branch, "only this branch");
    sub->add_option("--assignee", a->assignee, "only this assignee");
    sub->add_option("--sla", a->sla,
                    "only cases with a target in this state: on_track, warning, breached, "
                    "paused, met or missed")
        ->check(SlaState());
    sub->add_option("--limit", a->limit, "at most this many")
        ->check(flags::Whole(1))
        ->capture_default_str();
  }
  {
    auto [sub, a] = command("watch", "SLA events, live");
    sub->add_option("--branch", a->branch, "only this branch");
    sub->add_option("--type", a->type, "only this case type");
    sub->add_option("--count", a->count, "stop after this many events (0: no limit)")
        ->check(flags::Whole(0))
        ->capture_default_str();
    sub->add_option("--for", a->for_s, "stop after this many seconds")
        ->check(flags::Seconds())
        ->capture_default_str();
    sub->add_option("--after", a->after,
                    "first every event after CURSOR (printed with each event), e.g. the last "
                    "one seen before a disconnect; 0 for all");
  }
  {
    auto [sub, a] = command("report", "SLA figures per case type over UTC days");
    sub->add_option("--from", a->from, "first day YYYY-MM-DD")->required();
    sub->add_option("--to", a->until, "last day YYYY-MM-DD")->required();
    sub->add_option("--branch", a->branch, "only this branch");
    sub->add_option("--type", a->type, "only this case type");
  }
}

}  // namespace csops::ctl

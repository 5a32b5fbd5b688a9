// csopsctl queue ...: run a counter, a kiosk or a board from a terminal. Every subcommand is a
// CLI11 subcommand with its own options (`csopsctl queue <command> --help`); --branch defaults
// to $CSOPS_BRANCH.
#include <cstdio>
#include <map>
#include <sstream>
#include <tuple>

#include "csops/queue/v1/queue_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

namespace pb = csops::queue::v1;

// The options of one `queue` command line; each subcommand has its own and sets those it takes.
struct QueueArgs {
  std::string cmd;  // the subcommand: "issue", "call-next", ...
  std::string branch, counter, ticket;
  std::string service, priority = "normal", channel = "counter", sms, email, push, key;  // issue
  std::string outcome = "resolved";                                                      // complete
  int rating = 0;
  std::string to, to_counter, note;  // transfer
  std::string staff, services;       // open
  int limit = 100;                   // notices
  int count = 0;                     // board
  double for_s = 3600;
};

std::string Dur(const google::protobuf::Duration& d) {
  long s = static_cast<long>(d.seconds());
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", s / 3600, (s % 3600) / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  }
  return buf;
}

std::string StateName(int s) {
  std::string n = pb::TicketState_Name(static_cast<pb::TicketState>(s));
  n = n.substr(std::string("TICKET_STATE_").size());
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return n;
}

void PrintTicket(const pb::Ticket& t) {
  std::printf("%s  %-9s service %s", t.number().c_str(), StateName(t.state()).c_str(),
              t.service_code().c_str());
  if (t.state() == pb::TICKET_STATE_WAITING) {
    std::printf("  %d ahead  ~%s%s", t.people_ahead(), Dur(t.estimated_wait()).c_str(),
                t.no_open_counter() ? " (no counter open)" : "");
  }
  if (!t.counter_id().empty()) std::printf("  counter %s", t.counter_id().c_str());
  if (t.calls() > 0) std::printf("  calls %d", t.calls());
  if (!t.transfer_note().empty()) std::printf("  note: %s", t.transfer_note().c_str());
  std::printf("\n");
}

void PrintCounter(const pb::CounterStatus& c) {
  std::string state = pb::CounterState_Name(c.state()).substr(std::string("COUNTER_STATE_").size());
  std::string services;
  for (const auto& s : c.service_codes()) services += (services.empty() ? "" : ",") + s;
  std::printf(
      "counter %-4s %-7s services %-8s %s%s\n", c.counter_id().c_str(), state.c_str(),
      services.c_str(), c.current_ticket().c_str(),
      c.current_ticket().empty() ? "" : (" (" + StateName(c.current_ticket_state()) + ")").c_str());
}

void PrintSnapshot(const pb::BranchSnapshot& s) {
  std::printf("branch %s  business day %s\n", s.branch_id().c_str(), s.business_day().c_str());
  for (const auto& sv : s.services())
    std::printf(
        "service %s %-12s waiting %3d  oldest %s  estimate %s  target %s  counters %d  last %s\n",
        sv.code().c_str(), sv.name_zh_tw().c_str(), sv.waiting(), Dur(sv.oldest_wait()).c_str(),
        Dur(sv.estimated_wait()).c_str(), Dur(sv.target_wait()).c_str(), sv.open_counters(),
        sv.last_called().empty() ? "-" : sv.last_called().c_str());
  for (const auto& c : s.counters()) PrintCounter(c);
}

int Board(const GlobalOptions& o, pb::QueueService::Stub& stub, const QueueArgs& a) {
  const int count = a.count;
  const double secs = a.for_s;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<long>(secs * 1000)));
  o.auth.Apply(&ctx);
  pb::WatchBoardRequest req;
  req.set_branch_id(a.branch);
  auto reader = stub.WatchBoard(&ctx, req);
  pb::BoardEvent e;
  int n = 0;
  while (reader->Read(&e)) {
    std::string kind =
        pb::BoardEventKind_Name(e.kind()).substr(std::string("BOARD_EVENT_KIND_").size());
    std::printf("#%lld %-16s", static_cast<long long>(e.sequence()), kind.c_str());
    if (e.kind() == pb::BOARD_EVENT_KIND_SNAPSHOT) {
      std::printf("\n");
      PrintSnapshot(e.snapshot());
    } else if (e.kind() == pb::BOARD_EVENT_KIND_COUNTER_CHANGED) {
      PrintCounter(e.counter());
    } else {
      std::printf(" %s -> counter %s  service %s waiting %d\n", e.ticket_number().c_str(),
                  e.counter_id().empty() ? "-" : e.counter_id().c_str(), e.service_code().c_str(),
                  e.waiting());
    }
    std::fflush(stdout);
    if (count > 0 && ++n >= count) {
      ctx.TryCancel();
      break;
    }
  }
  grpc::Status s = reader->Finish();
  if (count > 0 && n >= count) return 0;
  if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return 0;  // --for elapsed
  return CheckCall(s);
}

pb::Outcome ParseOutcome(const std::string& s) {
  if (s == "resolved") return pb::OUTCOME_RESOLVED;
  if (s == "case-opened") return pb::OUTCOME_CASE_OPENED;
  if (s == "follow-up") return pb::OUTCOME_NEEDS_FOLLOW_UP;
  return pb::OUTCOME_UNSPECIFIED;
}

template <typename Req>
void FillTicket(Req& r, const QueueArgs& a) {
  r.set_branch_id(a.branch);
  r.set_counter_id(a.counter);
  r.set_ticket_number(a.ticket);
}

int RunQueue(const GlobalOptions& o, const QueueArgs& a) {
  const std::string& cmd = a.cmd;
  auto stub = pb::QueueService::NewStub(NewChannel(o));
  auto ctx = NewContext(o);

  if (cmd == "issue") {
    pb::IssueTicketRequest r;
    r.set_branch_id(a.branch);
    r.set_service_code(a.service);
    const std::string &p = a.priority, &ch = a.channel;
    r.set_priority(p == "normal"       ? pb::PRIORITY_CLASS_NORMAL
                   : p == "priority"   ? pb::PRIORITY_CLASS_PRIORITY
                   : p == "accessible" ? pb::PRIORITY_CLASS_ACCESSIBLE
                                       : pb::PRIORITY_CLASS_UNSPECIFIED);
    r.set_channel(ch == "kiosk"     ? pb::CHANNEL_KIOSK
                  : ch == "app"     ? pb::CHANNEL_APP
                  : ch == "counter" ? pb::CHANNEL_COUNTER
                                    : pb::CHANNEL_UNSPECIFIED);
    if (!a.sms.empty()) {
      r.mutable_contact()->set_kind(pb::CONTACT_KIND_SMS);
      r.mutable_contact()->set_address(a.sms);
    } else if (!a.email.empty()) {
      r.mutable_contact()->set_kind(pb::CONTACT_KIND_EMAIL);
      r.mutable_contact()->set_address(a.email);
    } else if (!a.push.empty()) {
      r.mutable_contact()->set_kind(pb::CONTACT_KIND_APP_PUSH);
      r.mutable_contact()->set_address(a.push);
    }
    std::string key = a.key;
    if (key.empty()) {
      std::ostringstream k;
      k << "csopsctl-" << getpid() << "-"
        << std::chrono::system_clock::now().time_since_epoch().count();
      key = k.str();
    }
    r.set_idempotency_key(key);
    pb::IssueTicketResponse resp;
    if (int rc = CheckCall(stub->IssueTicket(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "call-next") {
    pb::CallNextRequest r;
    r.set_branch_id(a.branch);
    r.set_counter_id(a.counter);
    pb::CallNextResponse resp;
    if (int rc = CheckCall(stub->CallNext(ctx.get(), r, &resp))) return rc;
    if (!resp.called()) {
      std::printf("nothing waiting for counter %s\n", r.counter_id().c_str());
      return 0;
    }
    PrintTicket(resp.ticket());
    return 0;
  }
#define CSOPS_TICKET_CMD(NAME, RPC, REQ, RESP)                         \
  if (cmd == NAME) {                                                   \
    pb::REQ r;                                                         \
    FillTicket(r, a);                                                  \
    pb::RESP resp;                                                     \
    if (int rc = CheckCall(stub->RPC(ctx.get(), r, &resp))) return rc; \
    PrintTicket(resp.ticket());                                        \
    return 0;                                                          \
  }
  CSOPS_TICKET_CMD("recall", Recall, RecallRequest, RecallResponse)
  CSOPS_TICKET_CMD("start", StartServing, StartServingRequest, StartServingResponse)
  CSOPS_TICKET_CMD("no-show", MarkNoShow, MarkNoShowRequest, MarkNoShowResponse)
  CSOPS_TICKET_CMD("cancel", Cancel, CancelRequest, CancelResponse)
  CSOPS_TICKET_CMD("requeue", Requeue, RequeueRequest, RequeueResponse)
#undef CSOPS_TICKET_CMD
  if (cmd == "complete") {
    pb::CompleteRequest r;
    FillTicket(r, a);
    r.set_outcome(ParseOutcome(a.outcome));
    r.set_rating(a.rating);
    pb::CompleteResponse resp;
    if (int rc = CheckCall(stub->Complete(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "transfer") {
    pb::TransferRequest r;
    FillTicket(r, a);
    r.set_to_service_code(a.to);
    r.set_to_counter_id(a.to_counter);
    r.set_note(a.note);
    pb::TransferResponse resp;
    if (int rc = CheckCall(stub->Transfer(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "open") {
    pb::OpenCounterRequest r;
    r.set_branch_id(a.branch);
    r.set_counter_id(a.counter);
    r.set_staff_id(a.staff);
    std::stringstream in(a.services);
    for (std::string s; std::getline(in, s, ',');)
      if (!s.empty()) r.add_service_codes(s);
    pb::OpenCounterResponse resp;
    if (int rc = CheckCall(stub->OpenCounter(ctx.get(), r, &resp))) return rc;
    PrintCounter(resp.counter());
    return 0;
  }
  if (cmd == "pause" || cmd == "close") {
    pb::CounterStatus c;
    grpc::Status s;
    if (cmd == "pause") {
      pb::PauseCounterRequest r;
      r.set_branch_id(a.branch);
      r.set_counter_id(a.counter);
      pb::PauseCounterResponse resp;
      s = stub->PauseCounter(ctx.get(), r, &resp);
      c = resp.counter();
    } else {
      pb::CloseCounterRequest r;
      r.set_branch_id(a.branch);
      r.set_counter_id(a.counter);
      pb::CloseCounterResponse resp;
      s = stub->CloseCounter(ctx.get(), r, &resp);
      c = resp.counter();
    }
    if (int rc = CheckCall(s)) return rc;
    PrintCounter(c);
    return 0;
  }
  if (cmd == "ticket") {
    pb::GetTicketRequest r;
    r.set_branch_id(a.branch);
    r.set_ticket_number(a.ticket);
    pb::GetTicketResponse resp;
    if (int rc = CheckCall(stub->GetTicket(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "snapshot") {
    pb::GetBranchSnapshotRequest r;
    r.set_branch_id(a.branch);
    pb::GetBranchSnapshotResponse resp;
    if (int rc = CheckCall(stub->GetBranchSnapshot(ctx.get(), r, &resp))) return rc;
    PrintSnapshot(resp.snapshot());
    return 0;
  }
  if (cmd == "notices") {
    pb::ListNearTurnNoticesRequest r;
    r.set_branch_id(a.branch);
    r.set_limit(a.limit);
    pb::ListNearTurnNoticesResponse resp;
    if (int rc = CheckCall(stub->ListNearTurnNotices(ctx.get(), r, &resp))) return rc;
    for (const auto& n : resp.notices()) {
      const std::string state = n.status() == pb::NEAR_TURN_NOTICE_STATUS_REFUSED
                                    ? " (refused: " + n.refusal_reason() + ")"
                                : n.delivered() ? " (delivered)"
                                                : "";
      std::printf("#%lld %s %s ahead %d to %s%s\n", static_cast<long long>(n.id()),
                  n.business_day().c_str(), n.ticket_number().c_str(), n.people_ahead(),
                  n.masked_address().c_str(), state.c_str());
    }
    return 0;
  }
  if (cmd == "board") return Board(o, *stub, a);
  return UsageError("queue", "unknown command '" + cmd + "'");
}

}  // namespace

void AddQueue(CLI::App& app, const GlobalOptions& options, Command* run) {
  auto* queue = app.add_subcommand("queue", "tickets, counters and boards");
  queue->require_subcommand(1);
  // A subcommand with its own options (so that one's defaults never reach another) and --branch.
  auto command = [queue, &options, run](const char* name, const char* what) {
    auto a = std::make_shared<QueueArgs>();
    a->cmd = name;
    auto* sub = queue->add_subcommand(name, what);
    sub->add_option("--branch", a->branch, "branch ID")->envname("CSOPS_BRANCH");
    sub->callback([&options, run, a] { *run = [&options, a] { return RunQueue(options, *a); }; });
    return std::make_pair(sub, a);
  };
  auto counter = [](CLI::App* sub, QueueArgs& a, bool required) {
    auto* opt = sub->add_option("--counter", a.counter, "counter ID");
    if (required) opt->required();
  };
  auto ticket = [](CLI::App* sub, QueueArgs& a) {
    sub->add_option("TICKET", a.ticket, "ticket number, e.g. A001")->required();
  };

  {
    auto [sub, a] = command("issue", "issue a ticket");
    sub->add_option("--service", a->service, "service code, e.g. A")->required();
    sub->add_option("--priority", a->priority, "queue class")
        ->check(CLI::IsMember({"normal", "priority", "accessible"}))
        ->capture_default_str();
    sub->add_option("--channel", a->channel, "where the ticket was taken")
        ->check(CLI::IsMember({"kiosk", "app", "counter"}))
        ->capture_default_str();
    auto* sms = sub->add_option("--sms", a->sms, "mobile number for the near-turn notice");
    auto* email = sub->add_option("--email", a->email, "e-mail address for the notice");
    auto* push = sub->add_option("--push", a->push, "app push token for the notice");
    sms->excludes(email)->excludes(push);
    email->excludes(push);
    sub->add_option("--key", a->key, "idempotency key (default: a fresh one)");
  }
  {
    auto [sub, a] = command("call-next", "call the next ticket to a counter");
    counter(sub, *a, true);
  }
  // {name, what it does, whether --counter is required}
  const std::tuple<const char*, const char*, bool> kTicketCommands[] = {
      {"recall", "call the ticket again", true},
      {"start", "start serving the ticket", true},
      {"no-show", "mark the ticket a no-show", true},
      {"cancel", "cancel the ticket", false},
      {"requeue", "put the ticket back in line", false}};
  for (const auto& [name, what, counter_required] : kTicketCommands) {
    auto [sub, a] = command(name, what);
    counter(sub, *a, counter_required);
    ticket(sub, *a);
  }
  {
    auto [sub, a] = command("complete", "finish serving the ticket");
    counter(sub, *a, true);
    sub->add_option("--outcome", a->outcome, "how the visit ended")
        ->check(CLI::IsMember({"resolved", "case-opened", "follow-up"}))
        ->capture_default_str();
    sub->add_option("--rating", a->rating, "the customer's rating 1-5 (0: not rated)")
        ->check(flags::Whole(0, 5))
        ->capture_default_str();
    ticket(sub, *a);
  }
  {
    auto [sub, a] = command("transfer", "send the ticket to another service");
    counter(sub, *a, true);
    sub->add_option("--to", a->to, "service code to transfer to")->required();
    sub->add_option("--to-counter", a->to_counter, "counter to transfer to");
    sub->add_option("--note", a->note, "note for the next counter");
    ticket(sub, *a);
  }
  {
    auto [sub, a] = command("open", "open a counter");
    counter(sub, *a, true);
    sub->add_option("--staff", a->staff, "staff ID at the counter")->required();
    sub->add_option("--services", a->services, "comma list of service codes it serves");
  }
  for (const auto& [name, what] :
       {std::pair{"pause", "pause a counter"}, std::pair{"close", "close a counter"}}) {
    auto [sub, a] = command(name, what);
    counter(sub, *a, true);
  }
  {
    auto [sub, a] = command("ticket", "show one ticket");
    ticket(sub, *a);
  }
  command("snapshot", "waiting, oldest wait, estimate per service, and the counters");
  {
    auto [sub, a] = command("notices", "the \"your turn is near\" outbox (masked)");
    sub->add_option("--limit", a->limit, "at most this many")
        ->check(flags::Whole(1))
        ->capture_default_str();
  }
  {
    auto [sub, a] = command("board", "print board events live");
    sub->add_option("--count", a->count, "stop after this many events (0: no limit)")
        ->check(flags::Whole(0))
        ->capture_default_str();
    sub->add_option("--for", a->for_s, "stop after this many seconds")
        ->check(flags::Seconds())
        ->capture_default_str();
  }
}

}  // namespace csops::ctl

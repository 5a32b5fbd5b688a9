// csopsctl queue ...: run a counter, a kiosk or a board from a terminal.
#include <cstdio>
#include <map>
#include <sstream>

#include "csops/queue/v1/queue_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"

namespace csops::ctl {
namespace {

namespace pb = csops::queue::v1;

constexpr char kQueueUsage[] =
    "usage: csopsctl queue <command> [--branch=ID] [options] [TICKET]\n"
    "  issue      --service=A [--priority=normal|priority|accessible] "
    "[--channel=kiosk|app|counter]\n"
    "             [--sms=PHONE | --email=ADDR | --push=TOKEN] [--key=IDEMPOTENCY_KEY]\n"
    "  call-next  --counter=ID\n"
    "  recall | start | no-show  --counter=ID TICKET\n"
    "  complete   --counter=ID [--outcome=resolved|case-opened|follow-up] [--rating=1-5] TICKET\n"
    "  cancel | requeue  [--counter=ID] TICKET\n"
    "  transfer   --counter=ID --to=SERVICE [--to-counter=ID] [--note=TEXT] TICKET\n"
    "  open       --counter=ID --staff=ID [--services=A,B]\n"
    "  pause | close  --counter=ID\n"
    "  ticket TICKET | snapshot | notices [--limit=N]\n"
    "  board      [--count=N] [--for=SECONDS]   print board events live\n"
    "--branch defaults to $CSOPS_BRANCH.\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "csopsctl queue: %s\n", why.c_str());
  std::fputs(kQueueUsage, stderr);
  return 2;
}

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

int Board(const GlobalOptions& o, pb::QueueService::Stub& stub, const CommandArgs& a) {
  int count = std::stoi(a.Get("count", "0"));
  double secs = std::stod(a.Get("for", "3600"));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<long>(secs * 1000)));
  o.auth.Apply(&ctx);
  pb::WatchBoardRequest req;
  req.set_branch_id(a.Get("branch"));
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
void FillTicket(Req& r, const CommandArgs& a) {
  r.set_branch_id(a.Get("branch"));
  r.set_counter_id(a.Get("counter"));
  if (!a.positional.empty()) r.set_ticket_number(a.positional[0]);
}

}  // namespace

int RunQueue(const GlobalOptions& o, const std::vector<std::string>& raw) {
  if (raw.empty()) return Usage("missing command");
  const std::string cmd = raw[0];
  std::string parse_error;
  CommandArgs a = ParseCommandArgs(raw, &parse_error);
  if (!parse_error.empty()) return Usage(parse_error);
  if (const char* env = std::getenv("CSOPS_BRANCH"); env && !a.opts.count("branch"))
    a.opts["branch"] = env;
  auto stub = pb::QueueService::NewStub(NewChannel(o));
  auto ctx = NewContext(o);
  const bool needs_ticket = cmd == "recall" || cmd == "start" || cmd == "no-show" ||
                            cmd == "complete" || cmd == "cancel" || cmd == "requeue" ||
                            cmd == "transfer" || cmd == "ticket";
  if (needs_ticket && a.positional.size() != 1) return Usage(cmd + " needs one TICKET number");

  if (cmd == "issue") {
    pb::IssueTicketRequest r;
    r.set_branch_id(a.Get("branch"));
    r.set_service_code(a.Get("service"));
    std::string p = a.Get("priority", "normal"), ch = a.Get("channel", "counter");
    r.set_priority(p == "normal"       ? pb::PRIORITY_CLASS_NORMAL
                   : p == "priority"   ? pb::PRIORITY_CLASS_PRIORITY
                   : p == "accessible" ? pb::PRIORITY_CLASS_ACCESSIBLE
                                       : pb::PRIORITY_CLASS_UNSPECIFIED);
    r.set_channel(ch == "kiosk"     ? pb::CHANNEL_KIOSK
                  : ch == "app"     ? pb::CHANNEL_APP
                  : ch == "counter" ? pb::CHANNEL_COUNTER
                                    : pb::CHANNEL_UNSPECIFIED);
    if (!a.Get("sms").empty()) {
      r.mutable_contact()->set_kind(pb::CONTACT_KIND_SMS);
      r.mutable_contact()->set_address(a.Get("sms"));
    } else if (!a.Get("email").empty()) {
      r.mutable_contact()->set_kind(pb::CONTACT_KIND_EMAIL);
      r.mutable_contact()->set_address(a.Get("email"));
    } else if (!a.Get("push").empty()) {
      r.mutable_contact()->set_kind(pb::CONTACT_KIND_APP_PUSH);
      r.mutable_contact()->set_address(a.Get("push"));
    }
    std::string key = a.Get("key");
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
    r.set_branch_id(a.Get("branch"));
    r.set_counter_id(a.Get("counter"));
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
    r.set_outcome(ParseOutcome(a.Get("outcome", "resolved")));
    r.set_rating(std::stoi(a.Get("rating", "0")));
    pb::CompleteResponse resp;
    if (int rc = CheckCall(stub->Complete(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "transfer") {
    pb::TransferRequest r;
    FillTicket(r, a);
    r.set_to_service_code(a.Get("to"));
    r.set_to_counter_id(a.Get("to-counter"));
    r.set_note(a.Get("note"));
    pb::TransferResponse resp;
    if (int rc = CheckCall(stub->Transfer(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "open") {
    pb::OpenCounterRequest r;
    r.set_branch_id(a.Get("branch"));
    r.set_counter_id(a.Get("counter"));
    r.set_staff_id(a.Get("staff"));
    std::stringstream in(a.Get("services"));
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
      r.set_branch_id(a.Get("branch"));
      r.set_counter_id(a.Get("counter"));
      pb::PauseCounterResponse resp;
      s = stub->PauseCounter(ctx.get(), r, &resp);
      c = resp.counter();
    } else {
      pb::CloseCounterRequest r;
      r.set_branch_id(a.Get("branch"));
      r.set_counter_id(a.Get("counter"));
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
    r.set_branch_id(a.Get("branch"));
    r.set_ticket_number(a.positional[0]);
    pb::GetTicketResponse resp;
    if (int rc = CheckCall(stub->GetTicket(ctx.get(), r, &resp))) return rc;
    PrintTicket(resp.ticket());
    return 0;
  }
  if (cmd == "snapshot") {
    pb::GetBranchSnapshotRequest r;
    r.set_branch_id(a.Get("branch"));
    pb::GetBranchSnapshotResponse resp;
    if (int rc = CheckCall(stub->GetBranchSnapshot(ctx.get(), r, &resp))) return rc;
    PrintSnapshot(resp.snapshot());
    return 0;
  }
  if (cmd == "notices") {
    pb::ListNearTurnNoticesRequest r;
    r.set_branch_id(a.Get("branch"));
    r.set_limit(std::stoi(a.Get("limit", "100")));
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
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace csops::ctl

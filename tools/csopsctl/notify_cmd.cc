// csopsctl notify: send, batch, get, list, plan start|stop, prefs. Contacts shown are the
// server's masked forms.
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "csops/notify/v1/notify_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"

namespace csops::ctl {
namespace {

namespace pb = csops::notify::v1;
using Json = nlohmann::json;

constexpr char kUsage[] =
    "usage: csopsctl notify <command> [options]\n"
    "  send   --kind=K --key=KEY [--email=E] [--mobile=M] [--push-token=T] [--address=L1|L2]\n"
    "         [--customer=N] [--name=NAME] [--locale=zh-TW|en] [--channels=email,sms,...]\n"
    "         [--mode=fallback|explicit|all] [--urgent=true] [--var.NAME=VALUE ...]\n"
    "  batch  FILE      JSON lines: {\"key\",\"kind\",\"recipient\":{...},\"variables\":{...},\n"
    "                   \"channels\":[...],\"mode\",\"locale\",\"urgent\"}; prints the summary\n"
    "  get    ID | --key=KEY             status, deliveries and every attempt\n"
    "  list   --customer=N [--limit=20]\n"
    "  plan start --plan=P --key=KEY [recipient options as for send] [--var.NAME=VALUE ...]\n"
    "  plan stop  --plan=P --key=KEY --reason=TEXT\n"
    "  prefs  --customer=N [--opt-out=email,sms,...] [--quiet=HH:MM-HH:MM]   (no option: show)\n";

int Usage(const std::string& why) {
  if (!why.empty()) std::fprintf(stderr, "csopsctl notify: %s\n", why.c_str());
  std::fputs(kUsage, stderr);
  return 2;
}

std::string Lower(const std::string& s, const std::string& prefix) {
  std::string out = s.substr(prefix.size());
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ParseChannel(const std::string& name, pb::Channel* out) {
  std::string upper = "CHANNEL_";
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return pb::Channel_Parse(upper, out) && *out != pb::CHANNEL_UNSPECIFIED;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size() && !s.empty()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

std::string Ts(const google::protobuf::Timestamp& t) {
  if (t.seconds() == 0 && t.nanos() == 0) return "-";
  return FormatRfc3339Utc(FromUnixMillis(t.seconds() * 1000 + t.nanos() / 1'000'000));
}

void FillRecipient(const CommandArgs& a, pb::Recipient* r) {
  r->set_customer_number(a.Get("customer"));
  r->set_name(a.Get("name"));
  r->set_email(a.Get("email"));
  r->set_mobile(a.Get("mobile"));
  if (!a.Get("push-token").empty()) r->add_push_tokens(a.Get("push-token"));
  if (!a.Get("address").empty())
    for (const std::string& line : Split(a.Get("address"), '|')) r->add_postal_address(line);
}

template <typename Map>
void FillVars(const CommandArgs& a, Map* vars) {
  for (const auto& [k, v] : a.opts)
    if (k.rfind("var.", 0) == 0) (*vars)[k.substr(4)] = v;
}

// "" on success, else the problem.
std::string FillPolicy(const std::string& mode, const std::string& channels, pb::ChannelPolicy* p) {
  if (mode.empty() || mode == "fallback") {
    p->set_mode(pb::ChannelPolicy::FALLBACK);
  } else if (mode == "explicit") {
    p->set_mode(pb::ChannelPolicy::EXPLICIT);
  } else if (mode == "all") {
    p->set_mode(pb::ChannelPolicy::ALL);
  } else {
    return "--mode: fallback, explicit or all";
  }
  for (const std::string& c : Split(channels, ',')) {
    pb::Channel ch;
    if (!ParseChannel(c, &ch)) return "unknown channel '" + c + "'";
    p->add_channels(ch);
  }
  return "";
}

void PrintNotification(const pb::Notification& n) {
  std::printf("%s  %s  %s  key %s  customer %s  accepted %s\n", n.id().c_str(), n.kind().c_str(),
              n.status().c_str(), n.idempotency_key().c_str(), n.customer_number().c_str(),
              Ts(n.accepted_at()).c_str());
  for (const auto& d : n.deliveries())
    std::printf("  %-9s %-10s attempts %d  to %s%s%s\n",
                Lower(pb::Channel_Name(d.channel()), "CHANNEL_").c_str(),
                Lower(pb::DeliveryStatus_Name(d.status()), "DELIVERY_STATUS_").c_str(),
                d.attempts(), d.destination().c_str(),
                d.last_error().empty() ? "" : "  last error: ", d.last_error().c_str());
  for (const auto& at : n.attempts())
    std::printf("    %s %-9s %-14s %-9s %4lld ms %s %s\n", Ts(at.at()).c_str(),
                Lower(pb::Channel_Name(at.channel()), "CHANNEL_").c_str(), at.provider().c_str(),
                at.result().c_str(), static_cast<long long>(at.latency_ms()),
                at.provider_message_id().c_str(), at.error().c_str());
}

void PrintPlan(const pb::PlanRun& p) {
  std::printf("plan %s  key %s  %s%s%s\n", p.plan().c_str(), p.key().c_str(), p.status().c_str(),
              p.stop_reason().empty() ? "" : "  reason: ", p.stop_reason().c_str());
  for (const auto& s : p.steps())
    std::printf("  %-16s due %s  %s\n", s.name().c_str(), Ts(s.due_at()).c_str(),
                s.status().c_str());
}

// One JSON line of a batch file -> request; "" or the problem.
std::string FromJson(const Json& j, pb::SendRequest* r) {
  if (!j.is_object()) return "not a JSON object";
  r->set_idempotency_key(j.value("key", ""));
  r->set_kind(j.value("kind", ""));
  r->set_locale(j.value("locale", ""));
  r->set_urgent(j.value("urgent", false));
  if (j.contains("recipient") && j["recipient"].is_object()) {
    const Json& rc = j["recipient"];
    auto* to = r->mutable_recipient();
    to->set_customer_number(rc.value("customer_number", ""));
    to->set_name(rc.value("name", ""));
    to->set_email(rc.value("email", ""));
    to->set_mobile(rc.value("mobile", ""));
    for (const auto& t : rc.value("push_tokens", std::vector<std::string>{}))
      to->add_push_tokens(t);
    for (const auto& l : rc.value("postal_address", std::vector<std::string>{}))
      to->add_postal_address(l);
  }
  if (j.contains("variables") && j["variables"].is_object())
    for (const auto& [k, v] : j["variables"].items())
      (*r->mutable_variables())[k] = v.is_string() ? v.get<std::string>() : v.dump();
  std::string channels;
  for (const auto& c : j.value("channels", std::vector<std::string>{}))
    channels += (channels.empty() ? "" : ",") + c;
  return FillPolicy(j.value("mode", ""), channels, r->mutable_policy());
}

}  // namespace

int RunNotify(const GlobalOptions& o, const std::vector<std::string>& raw) {
  if (raw.empty()) return Usage("missing command");
  std::vector<std::string> args = raw;
  std::string cmd = args[0];
  if (cmd == "plan") {
    if (args.size() < 2) return Usage("plan start or plan stop");
    cmd = "plan " + args[1];
    args.erase(args.begin());
  }
  std::string parse_error;
  CommandArgs a = ParseCommandArgs(args, &parse_error);
  if (!parse_error.empty()) return Usage(parse_error);
  auto stub = pb::NotifyService::NewStub(NewChannel(o));
  auto ctx = NewContext(o);
  if (cmd == "send") {
    pb::SendRequest r;
    r.set_idempotency_key(a.Get("key"));
    r.set_kind(a.Get("kind"));
    r.set_locale(a.Get("locale"));
    r.set_urgent(a.Get("urgent") == "true");
    FillRecipient(a, r.mutable_recipient());
    FillVars(a, r.mutable_variables());
    if (std::string e = FillPolicy(a.Get("mode"), a.Get("channels"), r.mutable_policy());
        !e.empty())
      return Usage(e);
    pb::SendResponse resp;
    if (int rc = CheckCall(stub->Send(ctx.get(), r, &resp))) return rc;
    std::printf("%s%s\n", resp.id().c_str(),
                resp.duplicate() ? "  (duplicate: already accepted)" : "");
    return 0;
  }
  if (cmd == "batch") {
    if (a.positional.size() != 1) return Usage("batch needs one FILE");
    std::ifstream in(a.positional[0]);
    if (!in) return Usage("cannot read " + a.positional[0]);
    auto batch_ctx = std::make_unique<grpc::ClientContext>();  // no deadline: campaigns are long
    o.auth.Apply(batch_ctx.get());
    pb::SendBatchSummary summary;
    auto writer = stub->SendBatch(batch_ctx.get(), &summary);
    long line_no = 0, unreadable = 0;
    for (std::string line; std::getline(in, line);) {
      ++line_no;
      if (line.empty()) continue;
      pb::SendRequest r;
      if (std::string e = FromJson(Json::parse(line, nullptr, false), &r); !e.empty()) {
        std::fprintf(stderr, "%s:%ld: %s (sent as is; the server names the problem)\n",
                     a.positional[0].c_str(), line_no, e.c_str());
        ++unreadable;
      }
      if (!writer->Write(r)) break;
    }
    writer->WritesDone();
    if (int rc = CheckCall(writer->Finish())) return rc;
    std::printf("accepted %lld  duplicates %lld  rejected %lld\n",
                static_cast<long long>(summary.accepted()),
                static_cast<long long>(summary.duplicates()),
                static_cast<long long>(summary.rejected_count()));
    for (const auto& rej : summary.rejected())
      std::printf("  item %lld (key %s): %s\n", static_cast<long long>(rej.index()),
                  rej.idempotency_key().c_str(), rej.reason().c_str());
    return summary.rejected_count() > 0 || unreadable > 0 ? 1 : 0;
  }
  if (cmd == "get") {
    pb::GetNotificationRequest r;
    if (!a.Get("key").empty()) {
      r.set_idempotency_key(a.Get("key"));
    } else if (a.positional.size() == 1) {
      r.set_id(a.positional[0]);
    } else {
      return Usage("get needs an ID or --key");
    }
    pb::Notification n;
    if (int rc = CheckCall(stub->GetNotification(ctx.get(), r, &n))) return rc;
    PrintNotification(n);
    return 0;
  }
  if (cmd == "list") {
    pb::ListNotificationsRequest r;
    r.set_customer_number(a.Get("customer"));
    r.set_page_size(std::stoi(a.Get("limit", "20")));
    pb::ListNotificationsResponse resp;
    if (int rc = CheckCall(stub->ListNotifications(ctx.get(), r, &resp))) return rc;
    for (const auto& n : resp.notifications()) PrintNotification(n);
    return 0;
  }
  if (cmd == "plan start") {
    pb::StartPlanRequest r;
    r.set_plan(a.Get("plan"));
    r.set_key(a.Get("key"));
    r.set_locale(a.Get("locale"));
    FillRecipient(a, r.mutable_recipient());
    FillVars(a, r.mutable_variables());
    pb::PlanRun run;
    if (int rc = CheckCall(stub->StartPlan(ctx.get(), r, &run))) return rc;
    PrintPlan(run);
    return 0;
  }
  if (cmd == "plan stop") {
    pb::StopPlanRequest r;
    r.set_plan(a.Get("plan"));
    r.set_key(a.Get("key"));
    r.set_reason(a.Get("reason"));
    pb::PlanRun run;
    if (int rc = CheckCall(stub->StopPlan(ctx.get(), r, &run))) return rc;
    PrintPlan(run);
    return 0;
  }
  if (cmd == "prefs") {
    pb::Preferences p;
    if (a.opts.count("opt-out") || a.opts.count("quiet")) {
      pb::SetPreferencesRequest r;
      r.mutable_preferences()->set_customer_number(a.Get("customer"));
      for (const std::string& c : Split(a.Get("opt-out"), ',')) {
        pb::Channel ch;
        if (!ParseChannel(c, &ch)) return Usage("--opt-out: unknown channel '" + c + "'");
        r.mutable_preferences()->add_opted_out(ch);
      }
      if (!a.Get("quiet").empty()) {
        auto parts = Split(a.Get("quiet"), '-');
        if (parts.size() != 2) return Usage("--quiet: HH:MM-HH:MM");
        r.mutable_preferences()->set_quiet_start(parts[0]);
        r.mutable_preferences()->set_quiet_end(parts[1]);
      }
      if (int rc = CheckCall(stub->SetPreferences(ctx.get(), r, &p))) return rc;
    } else {
      pb::GetPreferencesRequest r;
      r.set_customer_number(a.Get("customer"));
      if (int rc = CheckCall(stub->GetPreferences(ctx.get(), r, &p))) return rc;
    }
    std::printf("customer %s  opted out:", p.customer_number().c_str());
    for (int c : p.opted_out())
      std::printf(" %s", Lower(pb::Channel_Name(static_cast<pb::Channel>(c)), "CHANNEL_").c_str());
    std::printf("  quiet hours: %s\n", p.quiet_start().empty()
                                           ? "service default"
                                           : (p.quiet_start() + "-" + p.quiet_end()).c_str());
    return 0;
  }
  return Usage("unknown command '" + cmd + "'");
}

}  // namespace csops::ctl

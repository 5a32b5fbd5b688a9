// csopsctl notify: send, batch, get, list, plan start|stop, prefs. Contacts shown are the
// server's masked forms. Every subcommand is a CLI11 subcommand with its own options
// (`csopsctl notify <command> --help`); send and plan start also take template variables.
#include <google/protobuf/util/time_util.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "common/base/clock.h"
#include "csops/notify/v1/notify_service.grpc.pb.h"
#include "tools/csopsctl/cli.h"
#include "tools/flags/flags.h"

namespace csops::ctl {
namespace {

namespace pb = csops::notify::v1;
using Json = nlohmann::json;

// The options of one `notify` command line; each subcommand has its own and sets those it takes.
struct NotifyArgs {
  std::string cmd;  // the subcommand: "send", "batch", "get", "list", "plan start", ...
  std::string key, kind, locale, channels, mode;  // send
  bool urgent = false;
  // The recipient (send, plan start).
  std::string customer, name, email, mobile, push_token, address;
  std::vector<std::string> vars;              // --var NAME=VALUE (send, plan start), in order
  std::string file;                           // batch
  std::string id;                             // get
  int limit = 20;                             // list
  std::string plan, reason;                   // plan start, plan stop
  std::optional<std::string> opt_out, quiet;  // prefs: given (even empty) = set
};

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

void FillRecipient(const NotifyArgs& a, pb::Recipient* r) {
  r->set_customer_number(a.customer);
  r->set_name(a.name);
  r->set_email(a.email);
  r->set_mobile(a.mobile);
  if (!a.push_token.empty()) r->add_push_tokens(a.push_token);
  if (!a.address.empty())
    for (const std::string& line : Split(a.address, '|')) r->add_postal_address(line);
}

template <typename Map>
void FillVars(const NotifyArgs& a, Map* vars) {
  for (const std::string& v : a.vars) {  // checked by Variable(); a later one wins
    const auto eq = v.find('=');
    (*vars)[v.substr(0, eq)] = v.substr(eq + 1);
  }
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

int RunNotify(const GlobalOptions& o, const NotifyArgs& a) {
  const std::string& cmd = a.cmd;
  auto stub = pb::NotifyService::NewStub(NewChannel(o));
  auto ctx = NewContext(o);
  if (cmd == "send") {
    pb::SendRequest r;
    r.set_idempotency_key(a.key);
    r.set_kind(a.kind);
    r.set_locale(a.locale);
    r.set_urgent(a.urgent);
    FillRecipient(a, r.mutable_recipient());
    FillVars(a, r.mutable_variables());
    if (std::string e = FillPolicy(a.mode, a.channels, r.mutable_policy()); !e.empty())
      return UsageError("notify send", e);
    pb::SendResponse resp;
    if (int rc = CheckCall(stub->Send(ctx.get(), r, &resp))) return rc;
    std::printf("%s%s\n", resp.id().c_str(),
                resp.duplicate() ? "  (duplicate: already accepted)" : "");
    return 0;
  }
  if (cmd == "batch") {
    std::ifstream in(a.file);
    if (!in) return UsageError("notify batch", "cannot read " + a.file);
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
                     a.file.c_str(), line_no, e.c_str());
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
    if (!a.key.empty()) {
      r.set_idempotency_key(a.key);
    } else if (!a.id.empty()) {
      r.set_id(a.id);
    } else {
      return UsageError("notify get", "give an ID or --key");
    }
    pb::Notification n;
    if (int rc = CheckCall(stub->GetNotification(ctx.get(), r, &n))) return rc;
    PrintNotification(n);
    return 0;
  }
  if (cmd == "list") {
    pb::ListNotificationsRequest r;
    r.set_customer_number(a.customer);
    r.set_page_size(a.limit);
    pb::ListNotificationsResponse resp;
    if (int rc = CheckCall(stub->ListNotifications(ctx.get(), r, &resp))) return rc;
    for (const auto& n : resp.notifications()) PrintNotification(n);
    return 0;
  }
  if (cmd == "plan start") {
    pb::StartPlanRequest r;
    r.set_plan(a.plan);
    r.set_key(a.key);
    r.set_locale(a.locale);
    FillRecipient(a, r.mutable_recipient());
    FillVars(a, r.mutable_variables());
    pb::PlanRun run;
    if (int rc = CheckCall(stub->StartPlan(ctx.get(), r, &run))) return rc;
    PrintPlan(run);
    return 0;
  }
  if (cmd == "plan stop") {
    pb::StopPlanRequest r;
    r.set_plan(a.plan);
    r.set_key(a.key);
    r.set_reason(a.reason);
    pb::PlanRun run;
    if (int rc = CheckCall(stub->StopPlan(ctx.get(), r, &run))) return rc;
    PrintPlan(run);
    return 0;
  }
  if (cmd == "prefs") {
    pb::Preferences p;
    if (a.opt_out || a.quiet) {
      pb::SetPreferencesRequest r;
      r.mutable_preferences()->set_customer_number(a.customer);
      for (const std::string& c : Split(a.opt_out.value_or(""), ',')) {
        pb::Channel ch;
        if (!ParseChannel(c, &ch))
          return UsageError("notify prefs", "--opt-out: unknown channel '" + c + "'");
        r.mutable_preferences()->add_opted_out(ch);
      }
      if (a.quiet && !a.quiet->empty()) {
        auto parts = Split(*a.quiet, '-');
        if (parts.size() != 2) return UsageError("notify prefs", "--quiet: HH:MM-HH:MM");
        r.mutable_preferences()->set_quiet_start(parts[0]);
        r.mutable_preferences()->set_quiet_end(parts[1]);
      }
      if (int rc = CheckCall(stub->SetPreferences(ctx.get(), r, &p))) return rc;
    } else {
      pb::GetPreferencesRequest r;
      r.set_customer_number(a.customer);
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
  return UsageError("notify", "unknown command '" + cmd + "'");
}

// --var: NAME=VALUE with a name.
CLI::Validator Variable() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto eq = text.find('=');
        return eq == std::string::npos || eq == 0 ? "'" + text + "' is not NAME=VALUE" : "";
      },
      "");
}

}  // namespace

void AddNotify(CLI::App& app, const GlobalOptions& options, Command* run) {
  auto* notify = app.add_subcommand("notify", "notices, campaigns, escalation plans");
  notify->require_subcommand(1);
  auto* plan = notify->add_subcommand("plan", "escalation plans: start or stop one");
  plan->require_subcommand(1);
  // A subcommand of `parent` with its own options (so that one's defaults never reach another).
  auto command = [&options, run](CLI::App* parent, const std::string& cmd, const char* what) {
    auto a = std::make_shared<NotifyArgs>();
    a->cmd = cmd;
    auto* sub = parent->add_subcommand(cmd.substr(cmd.rfind(' ') + 1), what);
    sub->callback([&options, run, a] { *run = [&options, a] { return RunNotify(options, *a); }; });
    return std::make_pair(sub, a);
  };
  auto vars = [](CLI::App* sub, NotifyArgs& a) {
    sub->add_option("--var", a.vars,
                    "a template variable NAME=VALUE, also written --var.NAME=VALUE; any number")
        ->check(Variable())
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  };
  auto recipient = [](CLI::App* sub, NotifyArgs& a) {
    sub->add_option("--email", a.email, "the recipient's e-mail");
    sub->add_option("--mobile", a.mobile, "the recipient's mobile number");
    sub->add_option("--push-token", a.push_token, "the recipient's app push token");
    sub->add_option("--address", a.address, "postal address, lines separated by |");
    sub->add_option("--customer", a.customer, "the customer number");
    sub->add_option("--name", a.name, "the recipient's name");
    sub->add_option("--locale", a.locale, "zh-TW or en (default: the kind's)");
  };

  {
    auto [sub, a] = command(notify, "send", "send one notice");
    sub->add_option("--kind", a->kind, "notice kind, e.g. bill_unpaid")->required();
    sub->add_option("--key", a->key, "idempotency key")->required();
    recipient(sub, *a);
    sub->add_option("--channels", a->channels,
                    "comma list of email, sms, voice, app_push, postcard");
    sub->add_option("--mode", a->mode, "how the channels are used (default fallback)")
        ->check(CLI::IsMember({"fallback", "explicit", "all"}));
    sub->add_flag("--urgent", a->urgent, "send even in quiet hours (--urgent or --urgent=true)");
    vars(sub, *a);
  }
  {
    auto [sub, a] = command(notify, "batch", "SendBatch of a JSON lines file; prints the summary");
    sub->add_option("FILE", a->file,
                    "JSON lines: {\"key\",\"kind\",\"recipient\":{...},\"variables\":{...},"
                    "\"channels\":[...],\"mode\",\"locale\",\"urgent\"}")
        ->required();
  }
  {
    auto [sub, a] = command(notify, "get", "status, deliveries and every attempt of a notice");
    sub->add_option("ID", a->id, "the notice's ID");
    sub->add_option("--key", a->key, "the notice's idempotency key, instead of ID");
  }
  {
    auto [sub, a] = command(notify, "list", "a customer's notices");
    sub->add_option("--customer", a->customer, "the customer number")->required();
    sub->add_option("--limit", a->limit, "at most this many")
        ->check(flags::Whole(1))
        ->capture_default_str();
  }
  {
    auto [sub, a] = command(plan, "plan start", "start an escalation plan for a recipient");
    sub->add_option("--plan", a->plan, "plan name, e.g. unpaid_bill")->required();
    sub->add_option("--key", a->key, "the run's key")->required();
    recipient(sub, *a);
    vars(sub, *a);
  }
  {
    auto [sub, a] = command(plan, "plan stop", "stop a plan's run: nothing after this runs");
    sub->add_option("--plan", a->plan, "plan name")->required();
    sub->add_option("--key", a->key, "the run's key")->required();
    sub->add_option("--reason", a->reason, "why, e.g. paid")->required();
  }
  {
    auto [sub, a] = command(notify, "prefs", "show a customer's preferences, or set them");
    sub->add_option("--customer", a->customer, "the customer number")->required();
    sub->add_option("--opt-out", a->opt_out,
                    "comma list of channels the customer refuses (empty: none)")
        ->expected(0, 1);
    sub->add_option("--quiet", a->quiet, "quiet hours HH:MM-HH:MM (empty: the service default)")
        ->expected(0, 1);
  }
}

std::vector<std::string> SpellVarsForCli11(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0 && arg.rfind("--var.", 0) == 0) {
      args.push_back("--var=" + arg.substr(6));
    } else {
      args.push_back(arg);
    }
  }
  return args;
}

}  // namespace csops::ctl

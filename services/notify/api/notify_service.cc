#include "services/notify/api/notify_service.h"

#include <boost/asio/post.hpp>
#include <deque>

#include "common/auth/grpc_access.h"
#include "common/base/mask.h"
#include "common/grpc/grpc_reply.h"
#include "common/grpc/grpc_status.h"
#include "common/grpc/proto_enum.h"
#include "common/grpc/proto_time.h"
#include "common/grpc/time_check.h"
#include "services/notify/api/send_batch_reactor.h"

namespace csops::notify {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

pb::Channel ToProto(Channel c) { return static_cast<pb::Channel>(static_cast<int>(c)); }

std::optional<Channel> FromProto(int c) {
  if (c < 1 || c > 5) return std::nullopt;
  return static_cast<Channel>(c);
}

std::string Destination(const RecipientRecord& r, Channel c) {
  switch (c) {
    case Channel::kEmail:
      return MaskEmail(r.email);
    case Channel::kSms:
    case Channel::kVoice:
      return MaskPhone(r.mobile);
    case Channel::kAppPush:
      return std::to_string(r.push_tokens.size()) + " installation(s)";
    case Channel::kPostcard:
      return r.postal_address.empty() ? "" : MaskName(r.postal_address.front());
  }
  return "";
}

void ToProto(const NotificationView& v, pb::Notification* out) {
  out->set_id(std::to_string(v.record.id));
  out->set_idempotency_key(v.record.idempotency_key);
  out->set_kind(v.record.kind);
  out->set_customer_number(v.record.recipient.customer_number);
  ToProtoTimestamp(v.record.accepted_at, out->mutable_accepted_at());
  out->set_status(v.status);
  for (const DeliveryRecord& d : v.deliveries) {
    auto* o = out->add_deliveries();
    o->set_channel(ToProto(d.channel));
    o->set_status(static_cast<pb::DeliveryStatus>(static_cast<int>(d.status)));
    o->set_attempts(d.attempts);
    if (d.status == DeliveryStatus::kPending)
      ToProtoTimestamp(d.next_attempt_at, o->mutable_next_attempt_at());
    o->set_provider_message_id(d.provider_message_id);
    o->set_last_error(d.last_error);
    o->set_destination(Destination(v.record.recipient, d.channel));
  }
  for (const AttemptRecord& a : v.attempts) {
    auto* o = out->add_attempts();
    ToProtoTimestamp(a.at, o->mutable_at());
    o->set_channel(ToProto(a.channel));
    o->set_provider(a.provider);
    o->set_result(a.result);
    o->set_provider_message_id(a.provider_message_id);
    o->set_latency_ms(a.latency_ms);
    o->set_error(a.error);
  }
}

std::string HhMm(int minutes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02d:%02d", (minutes / 60) % 24, minutes % 60);
  return buf;
}

void ToProto(const PreferencesRecord& p, pb::Preferences* out) {
  out->set_customer_number(p.customer_number);
  for (Channel c : p.opted_out) out->add_opted_out(ToProto(c));
  if (p.quiet) {
    out->set_quiet_start(HhMm(p.quiet->start_minute));
    out->set_quiet_end(HhMm(p.quiet->end_minute));
  }
}

Result<int> ParseClock(const std::string& text, const std::string& field) {
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (text.size() == 5 && text[2] == ':' && digit(text[0]) && digit(text[1]) && digit(text[3]) &&
      digit(text[4])) {
    const int h = (text[0] - '0') * 10 + (text[1] - '0'),
              m = (text[3] - '0') * 10 + (text[4] - '0');
    if (h < 24 && m < 60) return h * 60 + m;
  }
  return Status::InvalidArgument(field + ": must be HH:MM");
}

void ToProto(const PlanView& v, pb::PlanRun* out) {
  out->set_plan(v.run.plan);
  out->set_key(v.run.key);
  out->set_status(std::string(PlanRunStatusName(v.run.status)));
  out->set_stop_reason(v.run.stop_reason);
  for (const PlanStepRecord& s : v.steps) {
    auto* o = out->add_steps();
    o->set_name(s.name);
    ToProtoTimestamp(s.due_at, o->mutable_due_at());
    o->set_status(std::string(PlanStepStatusName(s.status)));
  }
}

}  // namespace

RecipientRecord NotifyService::ToRecipient(const pb::Recipient& rc) {
  RecipientRecord r;
  r.customer_number = rc.customer_number();
  r.name = rc.name();
  r.email = rc.email();
  r.mobile = rc.mobile();
  r.push_tokens.assign(rc.push_tokens().begin(), rc.push_tokens().end());
  r.postal_address.assign(rc.postal_address().begin(), rc.postal_address().end());
  return r;
}

ServerUnaryReactor* NotifyService::StartPlan(CallbackServerContext* ctx,
                                             const pb::StartPlanRequest* req, pb::PlanRun* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  StartPlanCommand cmd;
  cmd.plan = req->plan();
  cmd.key = req->key();
  cmd.recipient = ToRecipient(req->recipient());
  cmd.locale = req->locale();
  for (const auto& [k, v] : req->variables()) cmd.variables[k] = v;
  auto* reactor = ctx->DefaultReactor();
  engine_.StartPlan(std::move(cmd),
                    Reply<PlanView>(reactor, [resp](const PlanView& v) { ToProto(v, resp); }));
  return reactor;
}

ServerUnaryReactor* NotifyService::StopPlan(CallbackServerContext* ctx,
                                            const pb::StopPlanRequest* req, pb::PlanRun* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.StopPlan(req->plan(), req->key(), req->reason(),
                   Reply<PlanView>(reactor, [resp](const PlanView& v) { ToProto(v, resp); }));
  return reactor;
}

Result<SendCommand> NotifyService::ToCommand(const pb::SendRequest& r) {
  SendCommand c;
  c.idempotency_key = r.idempotency_key();
  c.kind = r.kind();
  c.locale = r.locale();
  c.recipient = ToRecipient(r.recipient());
  for (const auto& [k, v] : r.variables()) c.variables[k] = v;
  switch (r.policy().mode()) {
    case pb::ChannelPolicy::EXPLICIT:
      c.mode = PolicyMode::kExplicit;
      break;
    case pb::ChannelPolicy::ALL:
      c.mode = PolicyMode::kAll;
      break;
    case pb::ChannelPolicy::FALLBACK:
    case pb::ChannelPolicy::MODE_UNSPECIFIED:
      c.mode = PolicyMode::kFallback;
      break;
    default:
      return BadEnumValue("policy.mode", pb::ChannelPolicy::Mode_descriptor(), r.policy().mode());
  }
  for (int ch : r.policy().channels()) {
    auto channel = FromProto(ch);
    if (!channel) return BadEnumValue("policy.channels", pb::Channel_descriptor(), ch);
    c.channels.push_back(*channel);
  }
  if (r.has_send_after()) {
    auto at = CheckTimestamp("send_after", r.send_after());
    if (!at.ok()) return at.status();
    c.send_after = *at;
  }
  c.urgent = r.urgent();
  return c;
}

ServerUnaryReactor* NotifyService::Send(CallbackServerContext* ctx, const pb::SendRequest* req,
                                        pb::SendResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto cmd = ToCommand(*req);
  if (!cmd.ok()) return Fail(ctx, cmd.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Send(std::move(*cmd), Reply<SendResult>(reactor, [resp](const SendResult& r) {
                 resp->set_id(std::to_string(r.id));
                 resp->set_duplicate(r.duplicate);
               }));
  return reactor;
}

grpc::ServerReadReactor<grpc::ByteBuffer>* NotifyService::SendBatch(CallbackServerContext* ctx,
                                                                    grpc::ByteBuffer* summary) {
  using Refuse = Refused<grpc::ServerReadReactor<grpc::ByteBuffer>>;
  if (auto who = auth::Caller(ctx); !who.ok()) return new Refuse(ToGrpcStatus(who.status()));
  return NewSendBatchReactor(engine_, ctx, summary, on_batch_broken_);
}

ServerUnaryReactor* NotifyService::GetNotification(CallbackServerContext* ctx,
                                                   const pb::GetNotificationRequest* req,
                                                   pb::Notification* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  if (req->by_case() == pb::GetNotificationRequest::BY_NOT_SET)
    return Fail(ctx, Status::InvalidArgument("id or idempotency_key: set one"));
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    Result<NotificationView> v = Status::InvalidArgument("id: not a notification id");
    if (req->by_case() == pb::GetNotificationRequest::kIdempotencyKey) {
      v = engine_.GetByKey(req->idempotency_key());
    } else {
      char* end = nullptr;
      const long long id = std::strtoll(req->id().c_str(), &end, 10);
      if (!req->id().empty() && end && *end == '\0' && id > 0) v = engine_.Get(id);
    }
    Reply<NotificationView>(reactor,
                            [resp](const NotificationView& n) { ToProto(n, resp); })(std::move(v));
  });
  return reactor;
}

ServerUnaryReactor* NotifyService::ListNotifications(CallbackServerContext* ctx,
                                                     const pb::ListNotificationsRequest* req,
                                                     pb::ListNotificationsResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    Reply<NotifyEngine::Page>(reactor, [resp](const NotifyEngine::Page& p) {
      for (const NotificationView& v : p.items) ToProto(v, resp->add_notifications());
      resp->set_next_page_token(p.next_page_token);
    })(engine_.List(req->customer_number(), req->page_size(), req->page_token()));
  });
  return reactor;
}

ServerUnaryReactor* NotifyService::ReportDelivery(CallbackServerContext* ctx,
                                                  const pb::ReportDeliveryRequest* req,
                                                  pb::ReportDeliveryResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.ReportDelivery(
      req->provider(), req->provider_message_id(), req->delivered(), req->detail(),
      Reply<bool>(reactor, [resp](bool applied) { resp->set_applied(applied); }));
  return reactor;
}

ServerUnaryReactor* NotifyService::SetPreferences(CallbackServerContext* ctx,
                                                  const pb::SetPreferencesRequest* req,
                                                  pb::Preferences* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  const auto& p = req->preferences();
  PreferencesRecord rec;
  rec.customer_number = p.customer_number();
  for (int c : p.opted_out()) {
    auto ch = FromProto(c);
    if (!ch) return Fail(ctx, BadEnumValue("preferences.opted_out", pb::Channel_descriptor(), c));
    rec.opted_out.push_back(*ch);
  }
  if (!p.quiet_start().empty() || !p.quiet_end().empty()) {
    auto start = ParseClock(p.quiet_start(), "preferences.quiet_start");
    auto end = ParseClock(p.quiet_end(), "preferences.quiet_end");
    if (!start.ok()) return Fail(ctx, start.status());
    if (!end.ok()) return Fail(ctx, end.status());
    rec.quiet = QuietHours{*start, *end};
  }
  auto* reactor = ctx->DefaultReactor();
  engine_.SetPreferences(std::move(rec), Reply<PreferencesRecord>(
                                             reactor, [resp](const auto& r) { ToProto(r, resp); }));
  return reactor;
}

ServerUnaryReactor* NotifyService::GetPreferences(CallbackServerContext* ctx,
                                                  const pb::GetPreferencesRequest* req,
                                                  pb::Preferences* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    Reply<PreferencesRecord>(reactor, [resp](const PreferencesRecord& p) { ToProto(p, resp); })(
        engine_.GetPreferences(req->customer_number()));
  });
  return reactor;
}

ServerUnaryReactor* NotifyService::GetNotifyReport(CallbackServerContext* ctx,
                                                   const pb::GetNotifyReportRequest* req,
                                                   pb::GetNotifyReportResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  if (!req->has_from() || !req->has_to())
    return Fail(ctx, Status::InvalidArgument("from, to: both are required"));
  auto from = CheckTimestamp("from", req->from());
  if (!from.ok()) return Fail(ctx, from.status());
  auto to = CheckTimestamp("to", req->to());
  if (!to.ok()) return Fail(ctx, to.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, resp, from = *from, to = *to] {
    Reply<NoticeReport>(reactor, [resp](const NoticeReport& r) {
      resp->set_notifications(r.notifications);
      for (const auto& [kind, n] : r.by_kind) {
        auto* k = resp->add_kinds();
        k->set_kind(kind);
        k->set_notifications(n);
      }
      for (const ChannelNotices& c : r.channels) {
        auto* o = resp->add_channels();
        o->set_channel(ToProto(c.channel));
        o->set_deliveries(c.deliveries);
        o->set_taken(c.taken);
        o->set_delivered(c.delivered);
        o->set_failed(c.failed);
        o->set_cancelled(c.cancelled);
        o->set_in_progress(c.in_progress);
        o->set_reached(c.reached);
        o->set_share_reached(c.ReachedShare());
        o->set_median_latency_seconds(static_cast<double>(c.median_latency.count()) / 1000.0);
        o->set_p95_latency_seconds(static_cast<double>(c.p95_latency.count()) / 1000.0);
      }
    })(engine_.Report(from, to));
  });
  return reactor;
}

}  // namespace csops::notify

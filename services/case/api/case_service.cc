#include "services/case/api/case_service.h"

#include <boost/asio/post.hpp>

#include "common/auth/client_quota.h"
#include "common/auth/grpc_access.h"
#include "common/grpc/grpc_reply.h"
#include "common/grpc/grpc_status.h"
#include "common/grpc/proto_enum.h"
#include "common/grpc/proto_time.h"
#include "common/grpc/time_check.h"
#include "services/case/domain/acceptance_number.h"

namespace csops::cases {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

pb::CaseStatus ToProto(CaseStatus s) { return static_cast<pb::CaseStatus>(static_cast<int>(s)); }

std::optional<CaseStatus> FromProto(pb::CaseStatus s) {
  if (s <= pb::CASE_STATUS_UNSPECIFIED || s > pb::CASE_STATUS_WITHDRAWN) return std::nullopt;
  return static_cast<CaseStatus>(static_cast<int>(s));
}

pb::SlaState ToProto(SlaState s) {
  switch (s) {
    case SlaState::kOnTrack:
      return pb::SLA_STATE_ON_TRACK;
    case SlaState::kWarning:
      return pb::SLA_STATE_WARNING;
    case SlaState::kBreached:
      return pb::SLA_STATE_BREACHED;
    case SlaState::kPaused:
      return pb::SLA_STATE_PAUSED;
    case SlaState::kMet:
      return pb::SLA_STATE_MET;
    case SlaState::kMissed:
      return pb::SLA_STATE_MISSED;
  }
  return pb::SLA_STATE_UNSPECIFIED;
}

const char* const kVia[] = {"", "counter", "phone", "web", "app", "mail", "fax"};

std::string DisplayNumber(const std::string& stored) {
  auto n = ParseAcceptanceNumber(stored);
  return n.ok() ? n->Display() : stored;
}

void ToProto(const CaseView& v, pb::Case* out) {
  const CaseRecord& c = v.record;
  out->set_acceptance_number(DisplayNumber(c.acceptance_number));
  out->set_type_code(c.type_code);
  out->set_branch_id(c.branch_id);
  out->set_status(ToProto(c.status));
  for (int i = 1; i <= 6; ++i)
    if (c.received_via == kVia[i]) out->set_received_via(static_cast<pb::ReceivedVia>(i));
  out->set_summary(c.summary);
  auto* a = out->mutable_applicant();
  a->set_name(c.applicant.name);
  a->set_customer_number(c.applicant.customer_number);
  a->set_phone(c.applicant.phone);
  a->set_email(c.applicant.email);
  for (NoticeChannel ch : c.applicant.channels)
    a->add_preferred_channels(static_cast<pb::NoticeChannel>(static_cast<int>(ch)));
  a->set_locale(c.applicant.locale);
  ToProtoTimestamp(c.accepted_at, out->mutable_accepted_at());
  for (const TargetView& t : v.targets) {
    auto* o = out->add_targets();
    o->set_name(t.model->name);
    if (t.schedule.due) ToProtoTimestamp(*t.schedule.due, o->mutable_due_at());
    o->set_state(ToProto(t.state));
    for (std::size_t i = 0; i < t.schedule.warnings.size(); ++i) {
      auto* w = o->add_warnings();
      if (t.schedule.warnings[i]) ToProtoTimestamp(*t.schedule.warnings[i], w);
      o->add_warn_percents(t.model->warn_percents[i]);
    }
    if (t.stopped_at) ToProtoTimestamp(*t.stopped_at, o->mutable_stopped_at());
    o->set_due_provisional(t.provisional);
  }
  out->set_assignee_department(c.assignee_department);
  out->set_assignee_staff(c.assignee_staff);
  out->set_delay_reason(c.delay_reason);
  out->set_delay_new_date(c.delay_new_date);
  for (const HistoryRow& h : v.history) {
    auto* o = out->add_history();
    ToProtoTimestamp(h.at, o->mutable_at());
    o->set_actor(h.actor);
    o->set_kind(h.kind);
    if (h.from) o->set_from_status(ToProto(*h.from));
    if (h.to) o->set_to_status(ToProto(*h.to));
    o->set_note(h.note);
  }
}

}  // namespace

ServerUnaryReactor* CaseService::CreateCase(CallbackServerContext* ctx,
                                            const pb::CreateCaseRequest* req,
                                            pb::CreateCaseResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  const int via = req->received_via();
  if (via < 1 || via > 6)
    return Fail(ctx, BadEnumValue("received_via", pb::ReceivedVia_descriptor(), via));
  CreateCaseCommand cmd;
  cmd.type_code = req->type_code();
  cmd.branch_id = req->branch_id();
  const auto& a = req->applicant();
  cmd.applicant = {a.name(), a.customer_number(), a.phone(), a.email(), {}, a.locale()};
  for (int ch : a.preferred_channels()) {
    if (ch < 1 || ch > 4)
      return Fail(ctx,
                  BadEnumValue("applicant.preferred_channels", pb::NoticeChannel_descriptor(), ch));
    cmd.applicant.channels.push_back(static_cast<NoticeChannel>(ch));
  }
  cmd.received_via = kVia[via];
  cmd.summary = req->summary();
  cmd.staff_id = auth::ActorName(*who, req->staff_id());
  cmd.idempotency_key = req->idempotency_key();
  auto* reactor = ctx->DefaultReactor();
  engine_.Create(
      std::move(cmd), Reply<CreatedCase>(reactor, [this, resp](const CreatedCase& c) {
        ToProto(c.view, resp->mutable_case_());
        resp->set_lookup_code(c.lookup_code);
        resp->set_lookup_url(engine_.LookupUrl(resp->case_().acceptance_number(), c.lookup_code));
      }));
  return reactor;
}

ServerUnaryReactor* CaseService::GetCase(CallbackServerContext* ctx, const pb::GetCaseRequest* req,
                                         pb::GetCaseResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    Reply<CaseView>(reactor, [resp](const CaseView& v) { ToProto(v, resp->mutable_case_()); })(
        engine_.Get(req->acceptance_number()));
  });
  return reactor;
}

ServerUnaryReactor* CaseService::Transition(CallbackServerContext* ctx,
                                            const pb::TransitionRequest* req,
                                            pb::TransitionResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto to = FromProto(req->to_status());
  if (!to)
    return Fail(ctx, BadEnumValue("to_status", pb::CaseStatus_descriptor(), req->to_status()));
  auto* reactor = ctx->DefaultReactor();
  engine_.Transition(
      req->acceptance_number(), *to, auth::ActorName(*who, req->staff_id()), req->note(),
      Reply<CaseView>(reactor, [resp](const CaseView& v) { ToProto(v, resp->mutable_case_()); }));
  return reactor;
}

ServerUnaryReactor* CaseService::AddNote(CallbackServerContext* ctx, const pb::AddNoteRequest* req,
                                         pb::AddNoteResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.AddNote(
      req->acceptance_number(), auth::ActorName(*who, req->staff_id()), req->note(),
      Reply<CaseView>(reactor, [resp](const CaseView& v) { ToProto(v, resp->mutable_case_()); }));
  return reactor;
}

ServerUnaryReactor* CaseService::DeclareDelay(CallbackServerContext* ctx,
                                              const pb::DeclareDelayRequest* req,
                                              pb::DeclareDelayResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.DeclareDelay(
      req->acceptance_number(), auth::ActorName(*who, req->staff_id()), req->reason(),
      req->new_expected_date(),
      Reply<CaseView>(reactor, [resp](const CaseView& v) { ToProto(v, resp->mutable_case_()); }));
  return reactor;
}

ServerUnaryReactor* CaseService::Assign(CallbackServerContext* ctx, const pb::AssignRequest* req,
                                        pb::AssignResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Assign(
      req->acceptance_number(), auth::ActorName(*who, req->staff_id()), req->department(),
      req->assignee(),
      Reply<CaseView>(reactor, [resp](const CaseView& v) { ToProto(v, resp->mutable_case_()); }));
  return reactor;
}

ServerUnaryReactor* CaseService::ListCases(CallbackServerContext* ctx,
                                           const pb::ListCasesRequest* req,
                                           pb::ListCasesResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  CaseEngine::ListQuery q;
  if (req->status() != pb::CASE_STATUS_UNSPECIFIED) {
    auto s = FromProto(req->status());
    if (!s) return Fail(ctx, BadEnumValue("status", pb::CaseStatus_descriptor(), req->status()));
    q.filter.status = std::string(StatusName(*s));
  }
  q.filter.type_code = req->type_code();
  q.filter.branch_id = req->branch_id();
  q.filter.assignee = req->assignee();
  switch (req->sla_state()) {
    case pb::SLA_STATE_UNSPECIFIED:
      break;
    case pb::SLA_STATE_ON_TRACK:
      q.sla_state = SlaState::kOnTrack;
      break;
    case pb::SLA_STATE_WARNING:
      q.sla_state = SlaState::kWarning;
      break;
    case pb::SLA_STATE_BREACHED:
      q.sla_state = SlaState::kBreached;
      break;
    case pb::SLA_STATE_PAUSED:
      q.sla_state = SlaState::kPaused;
      break;
    case pb::SLA_STATE_MET:
      q.sla_state = SlaState::kMet;
      break;
    case pb::SLA_STATE_MISSED:
      q.sla_state = SlaState::kMissed;
      break;
    default:
      return Fail(ctx, BadEnumValue("sla_state", pb::SlaState_descriptor(), req->sla_state()));
  }
  if (req->has_due_before()) {
    auto due = CheckTimestamp("due_before", req->due_before());
    if (!due.ok()) return Fail(ctx, due.status());
    q.due_before = *due;
  }
  q.page_size = req->page_size();
  q.page_token = req->page_token();
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, q, resp] {
    Reply<CaseEngine::ListPage>(reactor, [resp](const CaseEngine::ListPage& p) {
      for (const CaseView& v : p.cases) ToProto(v, resp->add_cases());
      resp->set_next_page_token(p.next_page_token);
    })(engine_.List(q));
  });
  return reactor;
}

grpc::ServerWriteReactor<pb::SlaEventNotice>* CaseService::WatchSlaEvents(
    CallbackServerContext* ctx, const pb::WatchSlaEventsRequest* req) {
  using Refuse = Refused<grpc::ServerWriteReactor<pb::SlaEventNotice>>;
  if (auto who = auth::Caller(ctx, *req); !who.ok()) return new Refuse(ToGrpcStatus(who.status()));
  auto after = ParseSlaCursor(req->after_cursor());
  if (!after.ok()) return new Refuse(ToGrpcStatus(after.status()));
  const std::string client = ClientKey(*ctx, trusted_proxies_);
  if (streams_ && !streams_->Acquire(client)) {
    return new Refuse(ToGrpcStatus(Status::ResourceExhausted(
        "this client already has " + std::to_string(streams_->max()) +
        " open WatchBoard/WatchSlaEvents streams (server.max_streams_per_client)")));
  }
  std::function<void()> release;
  if (streams_) release = [q = streams_, client] { q->Release(client); };
  return new SlaWatchReactor(hub_, executor_, req->branch_id(), req->type_code(), *after,
                             std::move(release));
}

ServerUnaryReactor* CaseService::GetSlaReport(CallbackServerContext* ctx,
                                              const pb::GetSlaReportRequest* req,
                                              pb::GetSlaReportResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  if (!req->has_from() || !req->has_to())
    return Fail(ctx, Status::InvalidArgument("from, to: both are required"));
  auto checked_from = CheckTimestamp("from", req->from());
  if (!checked_from.ok()) return Fail(ctx, checked_from.status());
  auto checked_to = CheckTimestamp("to", req->to());
  if (!checked_to.ok()) return Fail(ctx, checked_to.status());
  const Instant from = *checked_from, to = *checked_to;
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp, from, to] {
    Reply<CaseEngine::SlaReport>(reactor, [resp](const CaseEngine::SlaReport& all) {
      for (const DelayRow& d : all.delays) {
        auto* o = resp->add_delays();
        o->set_acceptance_number(DisplayNumber(d.acceptance_number));
        o->set_type_code(d.type_code);
        o->set_branch_id(d.branch_id);
        ToProtoTimestamp(d.declared_at, o->mutable_declared_at());
        o->set_reason(d.reason);
        o->set_new_expected_date(d.new_expected_date);
      }
      resp->set_delays_truncated(all.delays_truncated);
      for (const auto& r : all.types) {
        auto* o = resp->add_types();
        o->set_type_code(r.type->code);
        o->set_name_zh_tw(r.type->name_zh_tw);
        o->set_closed(r.closed);
        o->set_closed_within_sla(r.closed_within_sla);
        o->set_share_within_sla(r.closed ? static_cast<double>(r.closed_within_sla) / r.closed : 0);
        for (const auto& [name, met] : r.met) {
          auto* t = o->add_targets();
          t->set_name(name);
          t->set_met(met);
        }
        o->set_median_resolution_business_seconds(r.median_resolution.count() / 1000.0);
        o->set_p90_resolution_business_seconds(r.p90_resolution.count() / 1000.0);
        o->set_open(r.open);
        o->set_open_breached(r.open_breached);
        o->set_delays_declared(r.delays_declared);
      }
    })(engine_.Report(from, to, req->branch_id(), req->type_code()));
  });
  return reactor;
}

ServerUnaryReactor* CaseService::LookupProgress(CallbackServerContext* ctx,
                                                const pb::LookupProgressRequest* req,
                                                pb::LookupProgressResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  // One client however many connections it opens; a page's browser by its own address.
  bool ignored = false;
  const std::string peer = ClientKey(*ctx, trusted_proxies_, &ignored);
  if (ignored && client_ip_ignored_) client_ip_ignored_->Increment();
  auto* reactor = ctx->DefaultReactor();
  // The ledger may ask the database: on the executor, like the look-up itself.
  boost::asio::post(executor_, [this, reactor, req, resp, peer] {
    auto allowed = lookup_failures_.Allowed(peer, clock_.Now());
    if (!allowed.ok()) return reactor->Finish(ToGrpcStatus(allowed.status()));
    if (!*allowed)
      return reactor->Finish(ToGrpcStatus(Status::ResourceExhausted(
          "too many failed look-ups from this address; try again in a minute")));
    auto r = engine_.Lookup(req->acceptance_number(), req->lookup_code(), req->locale());
    if (!r.ok() && r.status().code() != StatusCode::kUnavailable) {
      // A failure that could not be counted is not answered as a plain miss either.
      if (Status s = lookup_failures_.Record(peer, clock_.Now()); !s.ok()) r = s;
    }
    Reply<PublicProgress>(reactor, [resp](const PublicProgress& p) {
      resp->set_acceptance_number(p.acceptance_number);
      resp->set_type_name(p.type_name);
      resp->set_status(ToProto(p.status));
      resp->set_status_text(p.status_text);
      for (const ProgressStep& s : p.timeline) {
        auto* o = resp->add_timeline();
        ToProtoTimestamp(s.at, o->mutable_at());
        o->set_text(s.text);
      }
      resp->set_expected_completion_date(p.expected_completion_date);
      resp->set_expected_completion_provisional(p.expected_completion_provisional);
      resp->set_delay_reason(p.delay_reason);
    })(std::move(r));
  });
  return reactor;
}

}  // namespace csops::cases

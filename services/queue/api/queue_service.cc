#include "services/queue/api/queue_service.h"

#include <boost/asio/post.hpp>

#include "common/auth/grpc_access.h"
#include "common/base/mask.h"
#include "common/base/text.h"
#include "common/grpc/grpc_reply.h"
#include "common/grpc/grpc_status.h"
#include "common/grpc/proto_time.h"
#include "common/grpc/time_check.h"
#include "services/queue/api/board_watch_reactor.h"
#include "services/queue/api/queue_convert.h"

namespace csops::queue {
namespace {

using grpc::CallbackServerContext;
using grpc::ServerUnaryReactor;

// A Done<T> that fills the response with `fill` and finishes the call on `finisher`: the engine
// answers on the store's single completion thread, and gRPC's work for sending a reply is
// spread over the finisher's threads instead of queueing behind it.
template <typename T, typename Fill>
Done<T> Reply(ServerUnaryReactor* reactor, boost::asio::thread_pool& finisher, Fill fill) {
  return [reactor, &finisher, fill = std::move(fill)](Result<T> r) {
    grpc::Status status = grpc::Status::OK;
    if (r.ok()) {
      fill(*r);
    } else {
      status = ToGrpcStatus(r.status());
    }
    boost::asio::post(finisher, [reactor, status = std::move(status)] { reactor->Finish(status); });
  };
}

template <typename Resp>
Done<TicketView> ReplyTicket(ServerUnaryReactor* reactor, boost::asio::thread_pool& finisher,
                             Resp* resp) {
  return Reply<TicketView>(reactor, finisher,
                           [resp](const TicketView& v) { ToProto(v, resp->mutable_ticket()); });
}

template <typename Resp>
Done<CounterView> ReplyCounter(ServerUnaryReactor* reactor, boost::asio::thread_pool& finisher,
                               Resp* resp) {
  return Reply<CounterView>(reactor, finisher,
                            [resp](const CounterView& v) { ToProto(v, resp->mutable_counter()); });
}

}  // namespace

ServerUnaryReactor* QueueService::IssueTicket(CallbackServerContext* ctx,
                                              const v1::IssueTicketRequest* req,
                                              v1::IssueTicketResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto priority = FromProto(req->priority(), "priority");
  if (!priority.ok()) return Fail(ctx, priority.status());
  auto channel = FromProto(req->channel(), "channel");
  if (!channel.ok()) return Fail(ctx, channel.status());
  auto contact = FromProto(req->contact().kind(), "contact.kind");
  if (!contact.ok()) return Fail(ctx, contact.status());
  IssueCommand cmd{req->branch_id(),         req->service_code(),   *priority, *channel, *contact,
                   req->contact().address(), req->idempotency_key()};
  auto* reactor = ctx->DefaultReactor();
  engine_.Issue(std::move(cmd), ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::CallNext(CallbackServerContext* ctx,
                                           const v1::CallNextRequest* req,
                                           v1::CallNextResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.CallNext(req->branch_id(), req->counter_id(),
                   Reply<CallResult>(reactor, finisher_, [resp](const CallResult& r) {
                     resp->set_called(r.called);
                     if (r.called) ToProto(r.ticket, resp->mutable_ticket());
                   }));
  return reactor;
}

ServerUnaryReactor* QueueService::Recall(CallbackServerContext* ctx, const v1::RecallRequest* req,
                                         v1::RecallResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Recall({req->branch_id(), req->counter_id(), req->ticket_number()},
                 ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::StartServing(CallbackServerContext* ctx,
                                               const v1::StartServingRequest* req,
                                               v1::StartServingResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.StartServing({req->branch_id(), req->counter_id(), req->ticket_number()},
                       ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::Complete(CallbackServerContext* ctx,
                                           const v1::CompleteRequest* req,
                                           v1::CompleteResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto outcome = FromProto(req->outcome(), "outcome");
  if (!outcome.ok()) return Fail(ctx, outcome.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Complete({req->branch_id(), req->counter_id(), req->ticket_number()}, *outcome,
                   req->rating(), ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::MarkNoShow(CallbackServerContext* ctx,
                                             const v1::MarkNoShowRequest* req,
                                             v1::MarkNoShowResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.MarkNoShow({req->branch_id(), req->counter_id(), req->ticket_number()},
                     ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::Cancel(CallbackServerContext* ctx, const v1::CancelRequest* req,
                                         v1::CancelResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Cancel({req->branch_id(), req->counter_id(), req->ticket_number()},
                 ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::Requeue(CallbackServerContext* ctx, const v1::RequeueRequest* req,
                                          v1::RequeueResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Requeue({req->branch_id(), req->counter_id(), req->ticket_number()},
                  ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::Transfer(CallbackServerContext* ctx,
                                           const v1::TransferRequest* req,
                                           v1::TransferResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.Transfer({{req->branch_id(), req->counter_id(), req->ticket_number()},
                    req->to_service_code(),
                    req->to_counter_id(),
                    req->note()},
                   ReplyTicket(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::OpenCounter(CallbackServerContext* ctx,
                                              const v1::OpenCounterRequest* req,
                                              v1::OpenCounterResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.OpenCounter(req->branch_id(), req->counter_id(), req->staff_id(),
                      {req->service_codes().begin(), req->service_codes().end()},
                      ReplyCounter(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::PauseCounter(CallbackServerContext* ctx,
                                               const v1::PauseCounterRequest* req,
                                               v1::PauseCounterResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.PauseCounter(req->branch_id(), req->counter_id(), ReplyCounter(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::CloseCounter(CallbackServerContext* ctx,
                                               const v1::CloseCounterRequest* req,
                                               v1::CloseCounterResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  engine_.CloseCounter(req->branch_id(), req->counter_id(), ReplyCounter(reactor, finisher_, resp));
  return reactor;
}

ServerUnaryReactor* QueueService::GetTicket(CallbackServerContext* ctx,
                                            const v1::GetTicketRequest* req,
                                            v1::GetTicketResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    ReplyTicket(reactor, finisher_,
                resp)(engine_.GetTicket(req->branch_id(), req->ticket_number()));
  });
  return reactor;
}

ServerUnaryReactor* QueueService::GetBranchSnapshot(CallbackServerContext* ctx,
                                                    const v1::GetBranchSnapshotRequest* req,
                                                    v1::GetBranchSnapshotResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    Reply<BranchView>(reactor, finisher_, [resp](const BranchView& v) {
      ToProto(v, resp->mutable_snapshot());
    })(engine_.Snapshot(req->branch_id()));
  });
  return reactor;
}

ServerUnaryReactor* QueueService::ListNearTurnNotices(CallbackServerContext* ctx,
                                                      const v1::ListNearTurnNoticesRequest* req,
                                                      v1::ListNearTurnNoticesResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp] {
    Reply<std::vector<NearTurnNotice>>(
        reactor, finisher_, [resp](const std::vector<NearTurnNotice>& all) {
          for (const NearTurnNotice& n : all) {
            auto* o = resp->add_notices();
            o->set_id(n.id);
            o->set_ticket_number(n.ticket_display);
            o->set_business_day(n.business_day);
            o->set_people_ahead(n.people_ahead);
            o->set_contact_kind(ToProto(n.contact_kind));
            o->set_masked_address(
                n.contact_kind == ContactKind::kEmail ? MaskEmail(n.contact_address)
                : n.contact_kind == ContactKind::kSms ? MaskPhone(n.contact_address)
                                                      : std::string("***"));
            ToProtoTimestamp(n.created_at, o->mutable_created_at());
            // A refused notice was relayed too, but nobody will get it.
            const bool refused = n.delivered && !n.relay_error.empty();
            o->set_delivered(n.delivered && !refused);
            o->set_status(refused       ? v1::NEAR_TURN_NOTICE_STATUS_REFUSED
                          : n.delivered ? v1::NEAR_TURN_NOTICE_STATUS_DELIVERED
                                        : v1::NEAR_TURN_NOTICE_STATUS_PENDING);
            o->set_refusal_reason(n.relay_error);
          }
        })(engine_.ListNotices(req->branch_id(), req->limit()));
  });
  return reactor;
}

namespace {

double Seconds(Duration d) { return static_cast<double>(d.count()) / 1000.0; }

void ToProto(const ServiceVisits& v, v1::ServiceReport* o) {
  o->set_service_code(v.code);
  o->set_name_zh_tw(v.name_zh_tw);
  o->set_name_en(v.name_en);
  o->set_target_wait_seconds(Seconds(v.target_wait));
  o->set_issued(v.issued);
  o->set_called(v.called);
  o->set_called_within_target(v.called_within_target);
  o->set_share_within_target(v.ShareWithinTarget());
  o->set_median_wait_seconds(Seconds(v.median_wait));
  o->set_p90_wait_seconds(Seconds(v.p90_wait));
  o->set_mean_wait_seconds(v.mean_wait_ms / 1000.0);
  const auto& bounds = WaitBucketBounds();
  for (std::size_t i = 0; i < v.wait_buckets.size(); ++i) {
    auto* b = o->add_wait_buckets();
    b->set_le_seconds(i < bounds.size() ? Seconds(bounds[i]) : 0);
    b->set_count(v.wait_buckets[i]);
  }
  o->set_completed(v.completed);
  o->set_no_shows(v.no_shows);
  o->set_cancelled(v.cancelled);
  o->set_expired(v.expired);
  for (std::int64_t n : v.ratings) o->add_ratings(n);
  o->set_mean_rating(v.MeanRating());
}

}  // namespace

ServerUnaryReactor* QueueService::GetQueueReport(CallbackServerContext* ctx,
                                                 const v1::GetQueueReportRequest* req,
                                                 v1::GetQueueReportResponse* resp) {
  auto who = auth::Caller(ctx, *req);
  if (!who.ok()) return Fail(ctx, who.status());
  if (!req->has_from() || !req->has_to())
    return Fail(ctx, Status::InvalidArgument("from, to: both are required"));
  auto from = CheckTimestamp("from", req->from());
  if (!from.ok()) return Fail(ctx, from.status());
  auto to = CheckTimestamp("to", req->to());
  if (!to.ok()) return Fail(ctx, to.status());
  auto* reactor = ctx->DefaultReactor();
  boost::asio::post(executor_, [this, reactor, req, resp, from = *from, to = *to] {
    Reply<VisitReport>(reactor, finisher_, [resp](const VisitReport& r) {
      for (const ServiceVisits& v : r.services) ToProto(v, resp->add_services());
      ToProto(r.total, resp->mutable_total());
    })(engine_.Report(from, to, req->branch_id()));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::BoardEvent>* QueueService::WatchBoard(
    CallbackServerContext* ctx, const v1::WatchBoardRequest* req) {
  using Refuse = Refused<grpc::ServerWriteReactor<v1::BoardEvent>>;
  if (auto who = auth::Caller(ctx, *req); !who.ok()) return new Refuse(ToGrpcStatus(who.status()));
  const std::string branch = req->branch_id();
  if (branch.empty() || !engine_.FindBranch(branch)) {
    return new Refuse(ToGrpcStatus(
        branch.empty()
            ? Status::InvalidArgument("branch_id: must not be empty")
            : Status::NotFound("branch_id: branch " + Quote(branch) + " is not configured")));
  }
  const std::string client = ClientKey(*ctx, trusted_proxies_);
  if (streams_ && !streams_->Acquire(client))
    return new Refuse(ToGrpcStatus(Status::ResourceExhausted(
        "this client already has " + std::to_string(streams_->max()) +
        " open WatchBoard/WatchSlaEvents streams (server.max_streams_per_client)")));
  std::function<void()> release;
  if (streams_) release = [q = streams_, client] { q->Release(client); };
  return new BoardWatchReactor(
      hub_, executor_, branch,
      [this, branch]() -> Result<v1::BranchSnapshot> {
        auto view = engine_.Snapshot(branch);
        if (!view.ok()) return view.status();
        v1::BranchSnapshot snap;
        ToProto(*view, &snap);
        return snap;
      },
      board_queue_limit_, std::move(release));
}

}  // namespace csops::queue

// gRPC adapter of csops.queue.v1.QueueService: converts requests to engine commands and
// results to responses, and nothing else. Errors map through ToGrpcStatus; enum fields left
// UNSPECIFIED are INVALID_ARGUMENT naming the field. Reads run on the executor so no gRPC
// thread blocks on storage.
#pragma once

#include <boost/asio/thread_pool.hpp>

#include "common/auth/client_quota.h"
#include "csops/queue/v1/queue_service.grpc.pb.h"
#include "services/queue/api/board_hub.h"
#include "services/queue/queue_engine.h"

namespace csops::queue {

class QueueService final : public v1::QueueService::CallbackService {
 public:
  // `board_queue_limit`: events a WatchBoard stream may have queued before it is resynchronised.
  // `executor` runs reads; `finisher` sends replies (see Reply in queue_service.cc).
  QueueService(QueueEngine& engine, BoardHub& hub, boost::asio::thread_pool& executor,
               boost::asio::thread_pool& finisher, std::size_t board_queue_limit = 1024)
      : engine_(engine),
        hub_(hub),
        executor_(executor),
        finisher_(finisher),
        board_queue_limit_(board_queue_limit) {}

  grpc::ServerUnaryReactor* IssueTicket(grpc::CallbackServerContext*, const v1::IssueTicketRequest*,
                                        v1::IssueTicketResponse*) override;
  grpc::ServerUnaryReactor* CallNext(grpc::CallbackServerContext*, const v1::CallNextRequest*,
                                     v1::CallNextResponse*) override;
  grpc::ServerUnaryReactor* Recall(grpc::CallbackServerContext*, const v1::RecallRequest*,
                                   v1::RecallResponse*) override;
  grpc::ServerUnaryReactor* StartServing(grpc::CallbackServerContext*,
                                         const v1::StartServingRequest*,
                                         v1::StartServingResponse*) override;
  grpc::ServerUnaryReactor* Complete(grpc::CallbackServerContext*, const v1::CompleteRequest*,
                                     v1::CompleteResponse*) override;
  grpc::ServerUnaryReactor* MarkNoShow(grpc::CallbackServerContext*, const v1::MarkNoShowRequest*,
                                       v1::MarkNoShowResponse*) override;
  grpc::ServerUnaryReactor* Cancel(grpc::CallbackServerContext*, const v1::CancelRequest*,
                                   v1::CancelResponse*) override;
  grpc::ServerUnaryReactor* Requeue(grpc::CallbackServerContext*, const v1::RequeueRequest*,
                                    v1::RequeueResponse*) override;
  grpc::ServerUnaryReactor* Transfer(grpc::CallbackServerContext*, const v1::TransferRequest*,
                                     v1::TransferResponse*) override;
  grpc::ServerUnaryReactor* OpenCounter(grpc::CallbackServerContext*, const v1::OpenCounterRequest*,
                                        v1::OpenCounterResponse*) override;
  grpc::ServerUnaryReactor* PauseCounter(grpc::CallbackServerContext*,
                                         const v1::PauseCounterRequest*,
                                         v1::PauseCounterResponse*) override;
  grpc::ServerUnaryReactor* CloseCounter(grpc::CallbackServerContext*,
                                         const v1::CloseCounterRequest*,
                                         v1::CloseCounterResponse*) override;
  grpc::ServerUnaryReactor* GetTicket(grpc::CallbackServerContext*, const v1::GetTicketRequest*,
                                      v1::GetTicketResponse*) override;
  grpc::ServerUnaryReactor* GetBranchSnapshot(grpc::CallbackServerContext*,
                                              const v1::GetBranchSnapshotRequest*,
                                              v1::GetBranchSnapshotResponse*) override;
  grpc::ServerWriteReactor<v1::BoardEvent>* WatchBoard(grpc::CallbackServerContext*,
                                                       const v1::WatchBoardRequest*) override;
  grpc::ServerUnaryReactor* ListNearTurnNotices(grpc::CallbackServerContext*,
                                                const v1::ListNearTurnNoticesRequest*,
                                                v1::ListNearTurnNoticesResponse*) override;
  grpc::ServerUnaryReactor* GetQueueReport(grpc::CallbackServerContext*,
                                           const v1::GetQueueReportRequest*,
                                           v1::GetQueueReportResponse*) override;

  // Who a client is (the peer, or whom a trusted proxy forwards for) and how many WatchBoard
  // streams each may hold (unlimited until set); set before serving.
  void SetClientPolicy(std::shared_ptr<StreamQuota> quota, std::vector<Cidr> trusted_proxies) {
    streams_ = std::move(quota);
    trusted_proxies_ = std::move(trusted_proxies);
  }

 private:
  QueueEngine& engine_;
  BoardHub& hub_;
  boost::asio::thread_pool& executor_;
  boost::asio::thread_pool& finisher_;
  const std::size_t board_queue_limit_;
  std::shared_ptr<StreamQuota> streams_;
  std::vector<Cidr> trusted_proxies_;
};

}  // namespace csops::queue

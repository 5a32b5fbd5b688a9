// gRPC adapter of csops.case.v1.CaseService: converts and delegates to CaseEngine. Reads run on
// the executor. LookupProgress is public: repeated failures from one client are rate-limited
// (kMaxLookupFailures per minute, counted in a FailureLedger that every replica shares) so
// look-up codes cannot be guessed by brute force; csopsd's own pages (or another SERVICE key) may
// name the browser they ask for in x-csops-client-ip metadata, anyone else's is ignored and counted
// (client_quota.h).
#pragma once

#include <prometheus/counter.h>

#include <boost/asio/thread_pool.hpp>

#include "common/auth/client_quota.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "services/case/api/lookup_failures.h"
#include "services/case/api/sla_watch.h"
#include "services/case/case_engine.h"

namespace csops::cases {

namespace pb = ::csops::case_::v1;

class CaseService final : public pb::CaseService::CallbackService {
 public:
  static constexpr int kMaxLookupFailures = FailureLedger::kLimit;

  // `lookup_failures` counts failed look-ups (it outlives the service); `client_ip_ignored`
  // (may be null) counts look-ups whose x-csops-client-ip was ignored.
  CaseService(CaseEngine& engine, SlaEventHub& hub, boost::asio::thread_pool& executor,
              const Clock& clock, FailureLedger& lookup_failures,
              prometheus::Counter* client_ip_ignored = nullptr)
      : engine_(engine),
        hub_(hub),
        executor_(executor),
        clock_(clock),
        lookup_failures_(lookup_failures),
        client_ip_ignored_(client_ip_ignored) {}

  grpc::ServerUnaryReactor* CreateCase(grpc::CallbackServerContext*, const pb::CreateCaseRequest*,
                                       pb::CreateCaseResponse*) override;
  grpc::ServerUnaryReactor* GetCase(grpc::CallbackServerContext*, const pb::GetCaseRequest*,
                                    pb::GetCaseResponse*) override;
  grpc::ServerUnaryReactor* Transition(grpc::CallbackServerContext*, const pb::TransitionRequest*,
                                       pb::TransitionResponse*) override;
  grpc::ServerUnaryReactor* AddNote(grpc::CallbackServerContext*, const pb::AddNoteRequest*,
                                    pb::AddNoteResponse*) override;
  grpc::ServerUnaryReactor* Assign(grpc::CallbackServerContext*, const pb::AssignRequest*,
                                   pb::AssignResponse*) override;
  grpc::ServerUnaryReactor* ListCases(grpc::CallbackServerContext*, const pb::ListCasesRequest*,
                                      pb::ListCasesResponse*) override;
  grpc::ServerUnaryReactor* DeclareDelay(grpc::CallbackServerContext*,
                                         const pb::DeclareDelayRequest*,
                                         pb::DeclareDelayResponse*) override;
  grpc::ServerWriteReactor<pb::SlaEventNotice>* WatchSlaEvents(
      grpc::CallbackServerContext*, const pb::WatchSlaEventsRequest* req) override;
  grpc::ServerUnaryReactor* GetSlaReport(grpc::CallbackServerContext*,
                                         const pb::GetSlaReportRequest*,
                                         pb::GetSlaReportResponse*) override;
  grpc::ServerUnaryReactor* LookupProgress(grpc::CallbackServerContext*,
                                           const pb::LookupProgressRequest*,
                                           pb::LookupProgressResponse*) override;

  // Who a client is (the peer, or whom a trusted proxy forwards for) and how many WatchSlaEvents
  // streams each may hold (unlimited until set); set before serving.
  void SetClientPolicy(std::shared_ptr<StreamQuota> quota, std::vector<Cidr> trusted_proxies) {
    streams_ = std::move(quota);
    trusted_proxies_ = std::move(trusted_proxies);
  }

 private:
  CaseEngine& engine_;
  SlaEventHub& hub_;
  std::shared_ptr<StreamQuota> streams_;
  std::vector<Cidr> trusted_proxies_;
  boost::asio::thread_pool& executor_;
  const Clock& clock_;
  FailureLedger& lookup_failures_;
  prometheus::Counter* const client_ip_ignored_;
};

}  // namespace csops::cases

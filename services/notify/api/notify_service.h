// gRPC adapter of csops.notify.v1.NotifyService: converts requests to engine commands and
// results to responses. Reads run on the executor so no gRPC thread blocks on storage.
// Contacts in answers are masked (common/base/mask.h): staff see where a notice went, not the
// customer's whole address. SendBatch is a raw method (send_batch_reactor.h): its items are
// parsed there, so an unreadable item is told apart from the end of the stream.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <functional>

#include "csops/notify/v1/notify_service.grpc.pb.h"
#include "services/notify/notify_engine.h"

namespace csops::notify {

namespace pb = csops::notify::v1;

class NotifyService final : public pb::NotifyService::WithRawCallbackMethod_SendBatch<
                                pb::NotifyService::CallbackService> {
 public:
  // `on_batch_broken` (may be empty) runs when an unreadable item ends a SendBatch call.
  NotifyService(NotifyEngine& engine, boost::asio::thread_pool& executor,
                std::function<void()> on_batch_broken = {})
      : engine_(engine), executor_(executor), on_batch_broken_(std::move(on_batch_broken)) {}

  grpc::ServerUnaryReactor* Send(grpc::CallbackServerContext*, const pb::SendRequest*,
                                 pb::SendResponse*) override;
  // Items are read as bytes; the answer is a serialized pb::SendBatchSummary.
  grpc::ServerReadReactor<grpc::ByteBuffer>* SendBatch(grpc::CallbackServerContext*,
                                                       grpc::ByteBuffer* summary) override;
  grpc::ServerUnaryReactor* GetNotification(grpc::CallbackServerContext*,
                                            const pb::GetNotificationRequest*,
                                            pb::Notification*) override;
  grpc::ServerUnaryReactor* ListNotifications(grpc::CallbackServerContext*,
                                              const pb::ListNotificationsRequest*,
                                              pb::ListNotificationsResponse*) override;
  grpc::ServerUnaryReactor* ReportDelivery(grpc::CallbackServerContext*,
                                           const pb::ReportDeliveryRequest*,
                                           pb::ReportDeliveryResponse*) override;
  grpc::ServerUnaryReactor* SetPreferences(grpc::CallbackServerContext*,
                                           const pb::SetPreferencesRequest*,
                                           pb::Preferences*) override;
  grpc::ServerUnaryReactor* GetPreferences(grpc::CallbackServerContext*,
                                           const pb::GetPreferencesRequest*,
                                           pb::Preferences*) override;
  grpc::ServerUnaryReactor* StartPlan(grpc::CallbackServerContext*, const pb::StartPlanRequest*,
                                      pb::PlanRun*) override;
  grpc::ServerUnaryReactor* StopPlan(grpc::CallbackServerContext*, const pb::StopPlanRequest*,
                                     pb::PlanRun*) override;
  grpc::ServerUnaryReactor* GetNotifyReport(grpc::CallbackServerContext*,
                                            const pb::GetNotifyReportRequest*,
                                            pb::GetNotifyReportResponse*) override;

  // Request -> command (no validation beyond the proto's enums; the engine checks the rest).
  static Result<SendCommand> ToCommand(const pb::SendRequest& r);
  static RecipientRecord ToRecipient(const pb::Recipient& r);

 private:
  NotifyEngine& engine_;
  boost::asio::thread_pool& executor_;
  const std::function<void()> on_batch_broken_;
};

}  // namespace csops::notify

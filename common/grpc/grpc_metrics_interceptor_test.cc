#include "common/grpc/grpc_metrics_interceptor.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include "csops/admin/v1/admin_service.grpc.pb.h"

namespace csops::metrics {
namespace {

// A tiny callback service that fails when asked, so both codes are recorded.
class FlakyAdmin final : public csops::admin::v1::AdminService::CallbackService {
 public:
  grpc::ServerUnaryReactor* GetServerInfo(grpc::CallbackServerContext* ctx,
                                          const admin::v1::GetServerInfoRequest*,
                                          admin::v1::GetServerInfoResponse* resp) override {
    auto* reactor = ctx->DefaultReactor();
    if (++calls_ % 2 == 0) {
      reactor->Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "even call"));
    } else {
      resp->set_version("test");
      reactor->Finish(grpc::Status::OK);
    }
    return reactor;
  }
  std::atomic<int> calls_{0};
};

double Value(prometheus::Registry& r, const std::string& name,
             const std::map<std::string, std::string>& want) {
  for (const auto& fam : r.Collect()) {
    if (fam.name != name) continue;
    for (const auto& m : fam.metric) {
      bool match = true;
      for (const auto& [k, v] : want) {
        bool found = false;
        for (const auto& l : m.label) found = found || (l.name == k && l.value == v);
        match = match && found;
      }
      if (!match) continue;
      if (fam.type == prometheus::MetricType::Histogram)
        return static_cast<double>(m.histogram.sample_count);
      return m.counter.value;
    }
  }
  return -1;
}

TEST(GrpcMetricsInterceptorTest, CountsAndTimesEveryRpcByMethodAndCode) {
  prometheus::Registry registry;
  FlakyAdmin service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<GrpcMetricsInterceptorFactory>(registry));
  builder.experimental().SetInterceptorCreators(std::move(factories));
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server);

  auto stub = admin::v1::AdminService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  for (int i = 0; i < 5; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    admin::v1::GetServerInfoResponse resp;
    stub->GetServerInfo(&ctx, {}, &resp);
  }
  server->Shutdown();

  std::map<std::string, std::string> method = {{"grpc_service", "csops.admin.v1.AdminService"},
                                               {"grpc_method", "GetServerInfo"},
                                               {"grpc_type", "unary"}};
  EXPECT_EQ(Value(registry, "grpc_server_started_total", method), 5);
  auto ok = method, failed = method;
  ok["grpc_code"] = "OK";
  failed["grpc_code"] = "FAILED_PRECONDITION";
  EXPECT_EQ(Value(registry, "grpc_server_handled_total", ok), 3);
  EXPECT_EQ(Value(registry, "grpc_server_handled_total", failed), 2);
  EXPECT_EQ(Value(registry, "grpc_server_handling_seconds", method), 5);
}

TEST(GrpcMetricsInterceptorTest, SplitsMethodPaths) {
  EXPECT_EQ(SplitMethodPath("/a.B/C"), std::make_pair(std::string("a.B"), std::string("C")));
  EXPECT_EQ(SplitMethodPath(nullptr).first, "unknown");
  EXPECT_EQ(SplitMethodPath("garbage").first, "unknown");
  EXPECT_EQ(SplitMethodPath("/a.B/").first, "unknown");
}

}  // namespace
}  // namespace csops::metrics

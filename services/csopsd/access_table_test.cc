// The assembled access table against the services csopsd serves: every method of every csops
// gRPC service has an entry (a new RPC without a rule fails here), every csops entry is a real
// method, and every HTTP route the modules register is covered.
#include "services/csopsd/access_table.h"

#include <gtest/gtest.h>

#include <set>

#include "csops/admin/v1/admin_service.pb.h"
#include "csops/case/v1/case_service.pb.h"
#include "csops/notify/v1/notify_service.pb.h"
#include "csops/queue/v1/queue_service.pb.h"

namespace csops::csopsd {
namespace {

using auth::AccessRule;

TEST(AccessTable, CoversEveryMethodOfEveryCsopsService) {
  auto table = BuildAccessTable();
  ASSERT_TRUE(table.ok()) << table.status().message();
  std::set<std::string> methods;
  for (const auto* service : {queue::v1::IssueTicketRequest::descriptor()->file()->service(0),
                              case_::v1::CreateCaseRequest::descriptor()->file()->service(0),
                              notify::v1::SendRequest::descriptor()->file()->service(0),
                              admin::v1::GetServerInfoRequest::descriptor()->file()->service(0)}) {
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string path = "/" + service->full_name() + "/" + service->method(i)->name();
      methods.insert(path);
      EXPECT_NE(table->Find(path), nullptr) << path << " has no access table entry";
    }
  }
  for (const AccessRule& r : table->rules()) {
    if (r.route.rfind("/csops.", 0) == 0) {
      EXPECT_TRUE(methods.count(r.route)) << r.route << " is not a method";
    }
    EXPECT_TRUE(r.is_public != !r.roles.empty()) << r.route;
  }
}

TEST(AccessTable, KeepsEachModulesRules) {
  auto table = BuildAccessTable();
  ASSERT_TRUE(table.ok());
  const AccessRule* issue = table->Find("/csops.queue.v1.QueueService/IssueTicket");
  ASSERT_NE(issue, nullptr);
  EXPECT_FALSE(issue->is_public);
  EXPECT_TRUE(auth::Allows(*issue, config::v1::KIOSK));
  EXPECT_FALSE(auth::Allows(*issue, config::v1::BILLING));
  ASSERT_NE(table->Find("GET /receipts/mitake"), nullptr);
  EXPECT_EQ(table->Find("GET /receipts/mitake")->route, "GET /receipts/");
  EXPECT_TRUE(table->Find("GET /board/b1")->is_public);
  EXPECT_FALSE(table->Find("GET /metrics")->is_public);
}

}  // namespace
}  // namespace csops::csopsd

// The access core: key hashing and parsing, the table's assembly and matching, decisions
// against a table, branch binding, the denial metric. (That csopsd's assembled table covers
// every method of every csops service: services/csopsd/access_table_test.cc.)
#include "common/auth/access_control.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <set>

#include "common/auth/api_key.h"
#include "common/auth/policy.h"

namespace csops::auth {
namespace {

using config::v1::AuthConfig;

const std::string kIssue = "/csops.queue.v1.QueueService/IssueTicket";
const std::string kCallNext = "/csops.queue.v1.QueueService/CallNext";
const std::string kLookup = "/csops.case.v1.CaseService/LookupProgress";
const std::string kSend = "/csops.notify.v1.NotifyService/Send";

// The rules these tests decide against, as modules contribute them.
AccessTable TestTable() {
  AccessTable t;
  EXPECT_TRUE(t.Add({RoleRule(kIssue, {config::v1::KIOSK, config::v1::COUNTER}),
                     RoleRule(kCallNext, {config::v1::COUNTER}), PublicRule(kLookup)})
                  .ok());
  EXPECT_TRUE(
      t.Add({RoleRule(kSend, {config::v1::BILLING, config::v1::SERVICE}), PublicRule("GET /"),
             PublicRule("GET /board/"), RoleRule("GET /metrics", {config::v1::METRICS}),
             RoleRule("GET /receipts/", {config::v1::SERVICE})})
          .ok());
  return t;
}

void AddKey(AuthConfig& c, const std::string& key, const std::string& name, Role role,
            const std::string& branch = "") {
  auto* k = c.add_keys();
  k->set_name(name);
  k->set_role(role);
  k->set_sha256(Sha256Hex(key));
  k->set_branch(branch);
}

double Denied(prometheus::Registry& registry, const std::string& code) {
  double total = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != "csops_auth_denied_total") continue;
    for (const auto& m : family.metric)
      for (const auto& l : m.label)
        if (l.name == "code" && l.value == code) total += m.counter.value;
  }
  return total;
}

TEST(ApiKey, Sha256MatchesTheStandardVector) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKey, NewKeysAreLongAndDistinct) {
  const std::string a = NewApiKey(), b = NewApiKey();
  EXPECT_EQ(a.size(), 4u + 43u);
  EXPECT_EQ(a.rfind("csk_", 0), 0u);
  EXPECT_NE(a, b);
}

TEST(ApiKey, ReadsBearerAndBasic) {
  EXPECT_EQ(*KeyFromAuthorization("Bearer csk_x"), "csk_x");
  EXPECT_EQ(*KeyFromAuthorization("bearer   csk_x"), "csk_x");
  // base64("prometheus:csk_x")
  EXPECT_EQ(*KeyFromAuthorization("Basic cHJvbWV0aGV1czpjc2tfeA=="), "csk_x");
  EXPECT_EQ(KeyFromAuthorization("").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(KeyFromAuthorization("csk_x").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(KeyFromAuthorization("Digest abc").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(KeyFromAuthorization("Basic !!!").status().code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(KeyFromAuthorization("Basic dXNlcg==").status().code(),  // "user": no key
            StatusCode::kUnauthenticated);
}

TEST(AccessControl, OffWithoutKeysButStillOnlyForTableEntries) {
  prometheus::Registry registry;
  AccessControl access(AuthConfig(), TestTable(), registry);
  EXPECT_FALSE(access.enabled());
  auto who = access.Decide(Surface::kGrpc, kCallNext, "");
  ASSERT_TRUE(who.ok());
  EXPECT_FALSE(who->authenticated);
  auto unknown = access.Decide(Surface::kGrpc, "/csops.queue.v1.QueueService/Nope", "");
  EXPECT_EQ(unknown.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(Denied(registry, "permission_denied"), 1);
}

TEST(AccessControl, DecidesByRole) {
  prometheus::Registry registry;
  AuthConfig c;
  AddKey(c, "kiosk-key", "kiosk-1", config::v1::KIOSK, "b1");
  AddKey(c, "counter-key", "counter-3", config::v1::COUNTER, "b1");
  AddKey(c, "admin-key", "root", config::v1::ADMIN);
  AccessControl access(c, TestTable(), registry);
  ASSERT_TRUE(access.enabled());

  auto kiosk = access.Decide(Surface::kGrpc, kIssue, "Bearer kiosk-key");
  ASSERT_TRUE(kiosk.ok());
  EXPECT_EQ(kiosk->name, "kiosk-1");
  EXPECT_TRUE(kiosk->authenticated);
  EXPECT_EQ(access.Decide(Surface::kGrpc, kCallNext, "Bearer kiosk-key").status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_TRUE(access.Decide(Surface::kGrpc, kCallNext, "Bearer counter-key").ok());
  EXPECT_TRUE(access.Decide(Surface::kGrpc, kCallNext, "Bearer admin-key").ok());
  EXPECT_EQ(access.Decide(Surface::kGrpc, kCallNext, "").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(access.Decide(Surface::kGrpc, kCallNext, "Bearer wrong").status().code(),
            StatusCode::kUnauthenticated);
  // Public: no key, or a bad one, is an anonymous caller.
  EXPECT_TRUE(access.Decide(Surface::kGrpc, kLookup, "").ok());
  EXPECT_TRUE(access.Decide(Surface::kGrpc, kLookup, "Bearer wrong").ok());
  EXPECT_TRUE(access.Decide(Surface::kHttp, "GET /board/", "").ok());
  EXPECT_EQ(access.Decide(Surface::kHttp, "GET /metrics", "").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(Denied(registry, "unauthenticated"), 3);
  EXPECT_EQ(Denied(registry, "permission_denied"), 1);

  // The counter's key acts for its own branch only.
  EXPECT_TRUE(access.CheckBranch(Surface::kGrpc, kCallNext, *kiosk, "b1").ok());
  EXPECT_EQ(access.CheckBranch(Surface::kGrpc, kCallNext, *kiosk, "b2").code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(Denied(registry, "permission_denied"), 2);
}

TEST(AccessControl, AddedServiceKeyIsAccepted) {
  prometheus::Registry registry;
  AuthConfig c;
  AddKey(c, "admin-key", "root", config::v1::ADMIN);
  AccessControl access(c, TestTable(), registry);
  const std::string own = NewApiKey();
  access.AddKey(own, "system", config::v1::SERVICE);
  auto who = access.Decide(Surface::kGrpc, "/csops.notify.v1.NotifyService/Send", "Bearer " + own);
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->name, "system");
}

TEST(AccessControl, OnlyServiceKeysAndThisProcesssOwnNameTheirClients) {
  prometheus::Registry registry;
  AuthConfig c;
  AddKey(c, "service-key", "proxy-1", config::v1::SERVICE);
  AddKey(c, "staff-key", "E1", config::v1::STAFF);
  AddKey(c, "admin-key", "root", config::v1::ADMIN);
  AccessControl on(c, TestTable(), registry);
  on.AddKey("own-key", "system", config::v1::SERVICE);
  for (const char* key : {"service-key", "own-key"})
    EXPECT_TRUE(on.Decide(Surface::kGrpc, kLookup, std::string("Bearer ") + key)->names_clients);
  for (const char* key : {"staff-key", "admin-key", "wrong"})
    EXPECT_FALSE(on.Decide(Surface::kGrpc, kLookup, std::string("Bearer ") + key)->names_clients)
        << key;
  EXPECT_FALSE(on.Decide(Surface::kGrpc, kLookup, "")->names_clients);

  // Access control off: everyone is an anonymous ADMIN, and only this process's key is told
  // apart.
  prometheus::Registry other;
  AccessControl off(AuthConfig(), TestTable(), other);
  off.AddKey("own-key", "system", config::v1::SERVICE);
  auto own = off.Decide(Surface::kGrpc, kLookup, "Bearer own-key");
  ASSERT_TRUE(own.ok());
  EXPECT_TRUE(own->names_clients);
  EXPECT_FALSE(own->authenticated);
  EXPECT_EQ(own->role, config::v1::ADMIN);
  EXPECT_FALSE(off.Decide(Surface::kGrpc, kLookup, "Bearer service-key")->names_clients);
  EXPECT_FALSE(off.Decide(Surface::kGrpc, kLookup, "")->names_clients);
}

TEST(AccessControl, ReloadRevokesRemovedKeysAndKeepsAddedOnes) {
  prometheus::Registry registry;
  AuthConfig c;
  AddKey(c, "billing-key", "billing", config::v1::BILLING);
  AddKey(c, "staff-key", "E1", config::v1::STAFF);
  AccessControl access(c, TestTable(), registry);
  access.AddKey("own-key", "system", config::v1::SERVICE);
  const std::string send = "/csops.notify.v1.NotifyService/Send";
  ASSERT_TRUE(access.Decide(Surface::kGrpc, send, "Bearer billing-key").ok());

  AuthConfig without_billing;
  AddKey(without_billing, "staff-key", "E1", config::v1::STAFF);
  ASSERT_TRUE(access.Reload(without_billing).ok());
  EXPECT_EQ(access.Decide(Surface::kGrpc, send, "Bearer billing-key").status().code(),
            StatusCode::kUnauthenticated);
  EXPECT_TRUE(access.Decide(Surface::kGrpc, send, "Bearer own-key").ok());
  EXPECT_TRUE(access.Decide(Surface::kGrpc, kLookup, "Bearer staff-key").ok());

  // Switching off by a reload is refused, and the keys in force stay.
  EXPECT_EQ(access.Reload(AuthConfig()).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(access.enabled());
  EXPECT_TRUE(access.Decide(Surface::kGrpc, send, "Bearer own-key").ok());
}

TEST(AccessTable, RefusesAClaimedRouteAndMalformedRulesWhole) {
  AccessTable t = TestTable();
  const std::size_t before = t.rules().size();
  Status twice = t.Add({PublicRule("GET /new"), RoleRule(kIssue, {config::v1::STAFF})});
  EXPECT_EQ(twice.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.message().find(kIssue), std::string::npos) << twice.message();
  EXPECT_EQ(t.Find("GET /new"), nullptr);  // nothing of a refused batch is added
  EXPECT_EQ(t.Add({RoleRule("GET /none", {})}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Add({AccessRule{"GET /both", true, {config::v1::STAFF}}}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Add({PublicRule("")}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.rules().size(), before);
}

TEST(AccessTable, PrefixRoutesCoverTheirPathsOnly) {
  const AccessTable t = TestTable();
  ASSERT_NE(t.Find("GET /receipts/mitake"), nullptr);
  EXPECT_EQ(t.Find("GET /receipts/mitake")->route, "GET /receipts/");
  EXPECT_EQ(t.Find("GET /elsewhere"), nullptr);  // "GET /" is exact
  EXPECT_EQ(t.Find("/csops.queue.v1.QueueService/"), nullptr);
}

}  // namespace
}  // namespace csops::auth

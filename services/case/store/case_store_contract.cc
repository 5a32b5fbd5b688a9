// The CaseStore contract suite's fixture (case_store_contract.h); the tests are in
// case_store_contract_test.cc and case_store_contract_sla_test.cc.
#include "services/case/store/case_store_contract.h"

#include <absl/time/civil_time.h>

#include <algorithm>
#include <future>

#include "common/base/testutil.h"
#include "services/case/domain/acceptance_number.h"

namespace csops::cases {

void CaseStoreContract::SetUp() {
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr);
}

void CaseStoreContract::TearDown() { store_.reset(); }

Status CaseStoreContract::Write(std::function<Status(CaseTx&)> fn) {
  std::promise<Status> committed;
  auto f = committed.get_future();
  store_->Transact(std::move(fn), [&committed](const Status& s) { committed.set_value(s); });
  return f.get();
}

CaseRecord CaseStoreContract::NewCase(int seq, const std::string& key, const std::string& branch,
                                      const std::string& type) {
  CaseRecord c;
  c.acceptance_number =
      MakeAcceptanceNumber(branch == "north" ? "NO" : "SO", absl::CivilDay(2026, 2, 12), seq)
          ->Compact();
  c.branch_id = branch;
  c.business_day = "2026-02-12";
  c.sequence = seq;
  c.type_code = type;
  c.status = CaseStatus::kAccepted;
  c.received_via = "counter";
  c.summary = "new meter\nsecond line";
  c.applicant = {"王小明",
                 "01234567890",
                 "0912345678",
                 "ming@example.com",
                 {NoticeChannel::kSms, NoticeChannel::kEmail, NoticeChannel::kPost},
                 "en"};
  c.lookup_salt = "";
  c.lookup_hash = "hmac1:verifier-" + std::to_string(seq);
  c.accepted_at = Taipei(2026, 2, 12, 16, 0, seq);
  c.idempotency_key = key;
  c.request_fingerprint = "fp-" + std::to_string(seq);
  return c;
}

std::int64_t CaseStoreContract::Insert(CaseRecord& c) {
  std::int64_t id = 0;
  EXPECT_OK(Write([&](CaseTx& tx) -> Status {
    auto inserted = tx.InsertCase(c);
    if (!inserted.ok()) return inserted.status();
    id = *inserted;
    return Status();
  }));
  c.id = id;
  return id;
}

std::optional<CaseRecord> CaseStoreContract::Find(const std::string& number) {
  std::optional<CaseRecord> out;
  EXPECT_OK(Read([&](CaseTx& tx) -> Status {
    auto found = tx.FindByNumber(number);
    if (!found.ok()) return found.status();
    out = std::move(*found);
    return Status();
  }));
  return out;
}

std::vector<std::string> CaseStoreContract::Numbers(const std::vector<CaseRecord>& cases) {
  std::vector<std::string> out;
  for (const CaseRecord& c : cases) out.push_back(c.acceptance_number);
  return out;
}

void ExpectSameCase(const CaseRecord& got, const CaseRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.acceptance_number, want.acceptance_number);
  EXPECT_EQ(got.branch_id, want.branch_id);
  EXPECT_EQ(got.business_day, want.business_day);
  EXPECT_EQ(got.sequence, want.sequence);
  EXPECT_EQ(got.type_code, want.type_code);
  EXPECT_EQ(got.status, want.status);
  EXPECT_EQ(got.received_via, want.received_via);
  EXPECT_EQ(got.summary, want.summary);
  EXPECT_EQ(got.applicant.name, want.applicant.name);
  EXPECT_EQ(got.applicant.customer_number, want.applicant.customer_number);
  EXPECT_EQ(got.applicant.phone, want.applicant.phone);
  EXPECT_EQ(got.applicant.email, want.applicant.email);
  EXPECT_EQ(got.applicant.channels, want.applicant.channels);
  EXPECT_EQ(got.applicant.locale, want.applicant.locale);
  EXPECT_EQ(got.lookup_salt, want.lookup_salt);
  EXPECT_EQ(got.lookup_hash, want.lookup_hash);
  EXPECT_EQ(got.accepted_at, want.accepted_at);
  EXPECT_EQ(got.first_reply_at, want.first_reply_at);
  EXPECT_EQ(got.closed_at, want.closed_at);
  EXPECT_EQ(got.delay_reason, want.delay_reason);
  EXPECT_EQ(got.delay_new_date, want.delay_new_date);
  EXPECT_EQ(got.idempotency_key, want.idempotency_key);
  EXPECT_EQ(got.request_fingerprint, want.request_fingerprint);
  EXPECT_EQ(got.assignee_department, want.assignee_department);
  EXPECT_EQ(got.assignee_staff, want.assignee_staff);
  EXPECT_EQ(got.resolution_ms, want.resolution_ms);
  EXPECT_EQ(got.within_sla, want.within_sla);
}

}  // namespace csops::cases

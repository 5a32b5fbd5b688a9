// loadgen: closed-loop gRPC load with N calls in flight. It measures one write RPC and, in the
// same run against the same server, grpc.health.v1.Health/Check, alternating phases so both
// see the same machine noise.
//
//   loadgen --addr=127.0.0.1:50051 [--rpc=issue_ticket|create_case] [--branch=bench]
//           [--service=A] [--type=complaint] [--inflight=64] [--seconds=5] [--rounds=2]
//
// issue_ticket: csops.queue.v1.QueueService/IssueTicket in --branch, service --service.
// create_case: csops.case.v1.CaseService/CreateCase of type --type, round-robin over the
// comma-separated --branch list (a branch numbers at most 9,999 cases a day).
// send: csops.notify.v1.NotifyService/Send of a bill_unpaid SMS (send_after --delay-s ahead).
// send_batch: one NotifyService/SendBatch stream of --count bill_unpaid SMS notices with
//   send_after --delay-s seconds ahead (so dispatch can be measured apart); prints the time
//   until the summary (every notice durable) and the summary.
// Prints throughput, p50 and p99 latency per phase and the RPC/health throughput ratio. Every
// call uses a fresh idempotency key, so every call creates a durable ticket or case.
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/auth/client_auth.h"
#include "csops/case/v1/case_service.grpc.pb.h"
#include "csops/notify/v1/notify_service.grpc.pb.h"
#include "csops/queue/v1/queue_service.grpc.pb.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tools/flags/flags.h"

namespace {

using SteadyClock = std::chrono::steady_clock;
namespace pb = csops::queue::v1;
namespace cpb = csops::case_::v1;
namespace hpb = grpc::health::v1;

struct Options {
  std::string addr = "127.0.0.1:50051";
  std::string rpc = "issue_ticket";
  std::string type = "complaint";
  long count = 1000000;
  long delay_s = 0;
  std::string branch = "bench";
  std::string service = "A";
  int inflight = 64;
  double seconds = 5;
  int rounds = 2;
};

struct PhaseResult {
  double per_second = 0;
  double p50_ms = 0, p99_ms = 0;
  long ok = 0, failed = 0;
  std::string first_error;
};

// One outstanding call; restarts itself until the phase ends.
class Slot {
 public:
  virtual ~Slot() = default;
  virtual void Start(grpc::CompletionQueue* cq) = 0;
  // Returns the call's status.
  virtual const grpc::Status& status() const = 0;
  SteadyClock::time_point started;
};

// One unary RPC kept in flight. `prepare(request, n)` fills the request of call number n
// (a fresh idempotency key each time; null for requests that never change); `call` starts it.
// The key and TLS settings every call uses (CSOPS_API_KEY, CSOPS_TLS_CA...; see client_auth.h),
// set once in main() before any call.
csops::auth::ClientAuth& ClientCredentials() {
  static csops::auth::ClientAuth credentials;
  return credentials;
}

template <typename Req, typename Resp>
class UnarySlot final : public Slot {
 public:
  using Call = std::function<std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>>(
      grpc::ClientContext*, const Req&, grpc::CompletionQueue*)>;
  using Prepare = std::function<void(Req*, long)>;
  UnarySlot(Call call, Prepare prepare, std::atomic<long>* seq)
      : call_(std::move(call)), prepare_(std::move(prepare)), seq_(seq) {}
  void Start(grpc::CompletionQueue* cq) override {
    ctx_ = std::make_unique<grpc::ClientContext>();
    ctx_->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    ClientCredentials().Apply(ctx_.get());
    if (prepare_) prepare_(&req_, seq_->fetch_add(1));
    started = SteadyClock::now();
    rpc_ = call_(ctx_.get(), req_, cq);
    rpc_->Finish(&resp_, &status_, this);
  }
  const grpc::Status& status() const override { return status_; }

 private:
  Call call_;
  Prepare prepare_;
  std::atomic<long>* seq_;
  std::unique_ptr<grpc::ClientContext> ctx_;
  Req req_;
  Resp resp_;
  grpc::Status status_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Resp>> rpc_;
};

// Unique per run, so every call of every run creates a new ticket, case or notice.
std::string KeyPrefix() {
  return "lg-" + std::to_string(getpid()) + "-" +
         std::to_string(SteadyClock::now().time_since_epoch().count()) + "-";
}

namespace npb = csops::notify::v1;

void FillNotice(npb::SendRequest* r, const std::string& key, long i, long delay_s) {
  r->set_idempotency_key(key);
  r->set_kind("bill_unpaid");
  char mobile[16];
  std::snprintf(mobile, sizeof mobile, "09%08ld", i % 100000000);
  r->mutable_recipient()->set_mobile(mobile);
  auto& vars = *r->mutable_variables();
  vars["bill_month"] = "115年10月";
  vars["amount"] = std::to_string(100 + i % 5000);
  vars["due_date"] = "2026-12-05";
  vars["customer_number"] = std::to_string(10000000000L + i);
  r->mutable_policy()->set_mode(npb::ChannelPolicy::EXPLICIT);
  r->mutable_policy()->add_channels(npb::CHANNEL_SMS);
  r->set_urgent(true);
  if (delay_s > 0)
    r->mutable_send_after()->set_seconds(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count() +
                                         delay_s);
}

int RunSendBatch(const std::shared_ptr<grpc::Channel>& channel, const Options& o) {
  auto stub = npb::NotifyService::NewStub(channel);
  grpc::ClientContext ctx;
  ClientCredentials().Apply(&ctx);
  npb::SendBatchSummary summary;
  const std::string prefix = "batch-" + KeyPrefix();
  const auto start = SteadyClock::now();
  auto writer = stub->SendBatch(&ctx, &summary);
  npb::SendRequest r;
  for (long i = 0; i < o.count; ++i) {
    r.Clear();
    FillNotice(&r, prefix + std::to_string(i), i, o.delay_s);
    if (!writer->Write(r)) break;
  }
  writer->WritesDone();
  const grpc::Status s = writer->Finish();
  const double took = std::chrono::duration<double>(SteadyClock::now() - start).count();
  if (!s.ok()) {
    std::fprintf(stderr, "loadgen: SendBatch: %s\n", s.error_message().c_str());
    return 1;
  }
  std::printf(
      "SendBatch of %ld notices: %.1f s (%.0f notices/s); accepted %lld, duplicates %lld, "
      "rejected %lld\n",
      o.count, took, o.count / took, static_cast<long long>(summary.accepted()),
      static_cast<long long>(summary.duplicates()),
      static_cast<long long>(summary.rejected_count()));
  return summary.accepted() == o.count ? 0 : 1;
}

PhaseResult RunPhase(std::vector<std::unique_ptr<Slot>>& slots, double seconds) {
  grpc::CompletionQueue cq;
  std::vector<double> latencies_ms;
  latencies_ms.reserve(1 << 20);
  PhaseResult r;
  const auto start = SteadyClock::now();
  const auto end = start + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(seconds));
  for (auto& s : slots) s->Start(&cq);
  std::size_t outstanding = slots.size();
  void* tag;
  bool ok;
  while (outstanding > 0 && cq.Next(&tag, &ok)) {
    auto* slot = static_cast<Slot*>(tag);
    const auto now = SteadyClock::now();
    if (ok && slot->status().ok()) {
      ++r.ok;
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(now - slot->started).count());
    } else {
      ++r.failed;
      if (r.first_error.empty()) r.first_error = slot->status().error_message();
    }
    if (now < end) {
      slot->Start(&cq);
    } else {
      --outstanding;
    }
  }
  const double took = std::chrono::duration<double>(SteadyClock::now() - start).count();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  r.per_second = r.ok / took;
  if (!latencies_ms.empty()) {
    std::sort(latencies_ms.begin(), latencies_ms.end());
    r.p50_ms = latencies_ms[latencies_ms.size() / 2];
    r.p99_ms = latencies_ms[std::min(latencies_ms.size() - 1, latencies_ms.size() * 99 / 100)];
  }
  return r;
}

void Print(const char* name, int round, const PhaseResult& r) {
  std::printf("| %d | %s | %.0f | %.2f | %.2f | %ld |\n", round, name, r.per_second, r.p50_ms,
              r.p99_ms, r.failed);
  if (!r.first_error.empty()) std::printf("  first error: %s\n", r.first_error.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app("loadgen: closed-loop gRPC load, one write RPC against grpc.health.v1 Check.",
               "loadgen");
  csops::flags::UseCsopsConventions(app);
  app.add_option("--addr", o.addr, "csopsd gRPC address")->capture_default_str();
  app.add_option("--rpc", o.rpc, "the write RPC")
      ->check(CLI::IsMember({"issue_ticket", "create_case", "send", "send_batch"}))
      ->capture_default_str();
  app.add_option("--count", o.count, "send_batch: notices in the stream")
      ->check(csops::flags::Whole(1L))
      ->capture_default_str();
  app.add_option("--delay-s", o.delay_s, "send, send_batch: send_after this many seconds ahead")
      ->check(csops::flags::Whole(0L))
      ->capture_default_str();
  app.add_option("--branch", o.branch, "branch (create_case: a comma list, round-robin)")
      ->capture_default_str();
  app.add_option("--service", o.service, "issue_ticket: service code")->capture_default_str();
  app.add_option("--type", o.type, "create_case: case type")->capture_default_str();
  app.add_option("--inflight", o.inflight, "calls in flight")
      ->check(csops::flags::Whole(1, 100000))
      ->capture_default_str();
  app.add_option("--seconds", o.seconds, "length of each phase")
      ->check(csops::flags::Seconds())
      ->capture_default_str();
  app.add_option("--rounds", o.rounds, "rounds of the two phases")
      ->check(csops::flags::Whole(1))
      ->capture_default_str();
  if (auto rc = csops::flags::Parse(app, argc, argv)) return *rc;
  auto client_auth = csops::auth::ClientAuthFromEnvironment();
  if (!client_auth.ok()) {
    std::fprintf(stderr, "loadgen: %s\n", client_auth.status().message().c_str());
    return 2;
  }
  ClientCredentials() = *client_auth;
  auto channel = ClientCredentials().Connect(o.addr);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::fprintf(stderr, "loadgen: cannot connect to %s\n", o.addr.c_str());
    return 1;
  }
  if (o.rpc == "send_batch") return RunSendBatch(channel, o);
  auto health = hpb::Health::NewStub(channel);
  auto queue = pb::QueueService::NewStub(channel);
  auto cases = cpb::CaseService::NewStub(channel);
  auto notify = npb::NotifyService::NewStub(channel);
  std::atomic<long> seq{0};
  const std::string prefix = KeyPrefix();
  std::vector<std::string> branches;  // create_case: round-robin
  std::stringstream list(o.branch);
  for (std::string b; std::getline(list, b, ',');) branches.push_back(b);
  std::vector<std::unique_ptr<Slot>> health_slots, rpc_slots;
  for (int i = 0; i < o.inflight; ++i) {
    health_slots.push_back(
        std::make_unique<UnarySlot<hpb::HealthCheckRequest, hpb::HealthCheckResponse>>(
            [h = health.get()](auto* ctx, const auto& r, auto* cq) {
              return h->AsyncCheck(ctx, r, cq);
            },
            nullptr, &seq));
    if (o.rpc == "issue_ticket") {
      rpc_slots.push_back(
          std::make_unique<UnarySlot<pb::IssueTicketRequest, pb::IssueTicketResponse>>(
              [q = queue.get()](auto* ctx, const auto& r, auto* cq) {
                return q->AsyncIssueTicket(ctx, r, cq);
              },
              [&o, &prefix](pb::IssueTicketRequest* r, long n) {
                r->set_branch_id(o.branch);
                r->set_service_code(o.service);
                r->set_priority(pb::PRIORITY_CLASS_NORMAL);
                r->set_channel(pb::CHANNEL_KIOSK);
                r->set_idempotency_key(prefix + std::to_string(n));
              },
              &seq));
    } else if (o.rpc == "create_case") {
      rpc_slots.push_back(
          std::make_unique<UnarySlot<cpb::CreateCaseRequest, cpb::CreateCaseResponse>>(
              [c = cases.get()](auto* ctx, const auto& r, auto* cq) {
                return c->AsyncCreateCase(ctx, r, cq);
              },
              [&o, &prefix, &branches](cpb::CreateCaseRequest* r, long n) {
                r->Clear();
                r->set_type_code(o.type);
                r->set_branch_id(branches[static_cast<std::size_t>(n) % branches.size()]);
                r->mutable_applicant()->set_name("Load Applicant");
                r->mutable_applicant()->set_email("load@example.invalid");
                r->mutable_applicant()->add_preferred_channels(cpb::NOTICE_CHANNEL_EMAIL);
                r->set_received_via(cpb::RECEIVED_VIA_COUNTER);
                r->set_summary("loadgen case");
                r->set_staff_id("LOAD");
                r->set_idempotency_key(prefix + std::to_string(n));
              },
              &seq));
    } else {
      rpc_slots.push_back(std::make_unique<UnarySlot<npb::SendRequest, npb::SendResponse>>(
          [nt = notify.get()](auto* ctx, const auto& r, auto* cq) {
            return nt->AsyncSend(ctx, r, cq);
          },
          [&o, &prefix](npb::SendRequest* r, long n) {
            r->Clear();
            FillNotice(r, prefix + std::to_string(n), n, o.delay_s);
          },
          &seq));
    }
  }
  const char* rpc_name = o.rpc == "issue_ticket"  ? "IssueTicket"
                         : o.rpc == "create_case" ? "CreateCase"
                                                  : "Send";
  RunPhase(health_slots, 1.0);  // warm-up: connection, server threads
  std::printf("loadgen addr=%s rpc=%s inflight=%d seconds=%.1f rounds=%d\n", o.addr.c_str(),
              o.rpc.c_str(), o.inflight, o.seconds, o.rounds);
  std::printf(
      "| round | call | calls/s | p50 ms | p99 ms | failed |\n|---|---|---:|---:|---:|---:|\n");
  double health_sum = 0, issue_sum = 0;
  long failures = 0;
  for (int round = 1; round <= o.rounds; ++round) {
    PhaseResult h = RunPhase(health_slots, o.seconds);
    Print("Health/Check", round, h);
    PhaseResult t = RunPhase(rpc_slots, o.seconds);
    Print(rpc_name, round, t);
    health_sum += h.per_second;
    issue_sum += t.per_second;
    failures += h.failed + t.failed;
  }
  std::printf("%s / Health/Check throughput = %.2f\n", rpc_name,
              health_sum > 0 ? issue_sum / health_sum : 0);
  return failures == 0 ? 0 : 1;
}

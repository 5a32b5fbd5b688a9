#include "services/case/sla_watch.h"

#include "common/proto_time.h"
#include "services/case/domain/acceptance_number.h"

namespace csops::cases {

namespace pb = ::csops::case_::v1;
using Lock = std::lock_guard<std::recursive_mutex>;

void SlaEventHub::Publish(const std::vector<SlaEvent>& events) {
  std::lock_guard<std::mutex> lock(mu_);
  if (watchers_.empty()) return;
  for (const SlaEvent& e : events) {
    std::shared_ptr<pb::SlaEventNotice> notice;
    for (SlaWatchReactor* w : watchers_) {
      if (!w->Matches(e)) continue;
      if (!notice) {
        notice = std::make_shared<pb::SlaEventNotice>();
        auto n = ParseAcceptanceNumber(e.acceptance_number);
        notice->set_acceptance_number(n.ok() ? n->Display() : e.acceptance_number);
        notice->set_type_code(e.type_code);
        notice->set_branch_id(e.branch_id);
        notice->set_target(e.target);
        notice->set_event(e.event);
        ToProtoTimestamp(e.due_at, notice->mutable_due_at());
        ToProtoTimestamp(e.fired_at, notice->mutable_fired_at());
        notice->set_late(e.late);
      }
      w->Deliver(notice);
    }
  }
}

void SlaEventHub::Subscribe(SlaWatchReactor* w) {
  std::lock_guard<std::mutex> lock(mu_);
  watchers_.insert(w);
}

void SlaEventHub::Unsubscribe(SlaWatchReactor* w) {
  std::lock_guard<std::mutex> lock(mu_);
  watchers_.erase(w);
}

std::size_t SlaEventHub::watchers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return watchers_.size();
}

SlaWatchReactor::SlaWatchReactor(SlaEventHub& hub, std::string branch_id, std::string type_code,
                                 std::function<void()> on_done)
    : hub_(hub),
      branch_id_(std::move(branch_id)),
      type_code_(std::move(type_code)),
      on_done_(std::move(on_done)) {
  hub_.Subscribe(this);
}

bool SlaWatchReactor::Matches(const SlaEvent& e) const {
  return (branch_id_.empty() || e.branch_id == branch_id_) &&
         (type_code_.empty() || e.type_code == type_code_);
}

void SlaWatchReactor::Deliver(std::shared_ptr<const pb::SlaEventNotice> notice) {
  Lock lock(mu_);
  if (finished_) return;
  if (queue_.size() >= kMaxQueued) {
    FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                              "watcher fell more than 1024 events behind; reconnect and read "
                              "the current state with ListCases"));
    return;
  }
  queue_.push_back(std::move(notice));
  if (!in_flight_) WriteNextLocked();
}

void SlaWatchReactor::WriteNextLocked() {
  if (queue_.empty() || finished_) return;
  in_flight_ = std::move(queue_.front());
  queue_.pop_front();
  StartWrite(in_flight_.get());
}

void SlaWatchReactor::OnWriteDone(bool ok) {
  Lock lock(mu_);
  in_flight_.reset();
  if (finished_) return;
  if (!ok) {
    FinishLocked(grpc::Status::OK);
    return;
  }
  WriteNextLocked();
}

void SlaWatchReactor::OnCancel() {
  Lock lock(mu_);
  FinishLocked(grpc::Status::CANCELLED);
}

void SlaWatchReactor::FinishLocked(grpc::Status status) {
  if (finished_) return;
  finished_ = true;
  queue_.clear();
  Finish(std::move(status));
}

void SlaWatchReactor::OnDone() {
  hub_.Unsubscribe(this);
  if (on_done_) on_done_();
  delete this;
}

}  // namespace csops::cases

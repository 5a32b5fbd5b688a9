#include "services/case/api/sla_watch.h"

#include <boost/asio/post.hpp>
#include <thread>

#include "common/grpc/grpc_status.h"
#include "common/grpc/proto_time.h"
#include "services/case/domain/acceptance_number.h"

namespace csops::cases {

namespace pb = ::csops::case_::v1;
using Lock = std::lock_guard<std::recursive_mutex>;

pb::SlaEventNotice ToNotice(const SlaEvent& e) {
  pb::SlaEventNotice notice;
  auto n = ParseAcceptanceNumber(e.acceptance_number);
  notice.set_acceptance_number(n.ok() ? n->Display() : e.acceptance_number);
  notice.set_type_code(e.type_code);
  notice.set_branch_id(e.branch_id);
  notice.set_target(e.target);
  notice.set_event(e.event);
  ToProtoTimestamp(e.due_at, notice.mutable_due_at());
  ToProtoTimestamp(e.fired_at, notice.mutable_fired_at());
  notice.set_late(e.late);
  notice.set_cursor(std::to_string(e.cursor));
  return notice;
}

void SlaEventHub::Publish(const std::vector<SlaEvent>& events) {
  std::lock_guard<std::mutex> lock(mu_);
  if (watchers_.empty()) return;
  for (const SlaEvent& e : events) {
    std::shared_ptr<pb::SlaEventNotice> notice;
    for (SlaWatchReactor* w : watchers_) {
      if (!w->Matches(e)) continue;
      if (!notice) notice = std::make_shared<pb::SlaEventNotice>(ToNotice(e));
      w->Deliver(e.cursor, notice);
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

SlaWatchReactor::SlaWatchReactor(SlaEventHub& hub, boost::asio::thread_pool& executor,
                                 std::string branch_id, std::string type_code,
                                 std::optional<std::int64_t> after, std::function<void()> on_done)
    : hub_(hub),
      executor_(executor),
      branch_id_(std::move(branch_id)),
      type_code_(std::move(type_code)),
      resume_after_(after),
      on_done_(std::move(on_done)),
      feed_(after, kMaxQueued) {
  // Subscribed before the first read: whatever commits from now on is delivered, whatever
  // committed before is in the store (the hub is never called with mu_ held).
  hub_.Subscribe(this);
  Lock lock(mu_);
  PumpLocked();
}

bool SlaWatchReactor::Matches(const SlaEvent& e) const {
  return (branch_id_.empty() || e.branch_id == branch_id_) &&
         (type_code_.empty() || e.type_code == type_code_);
}

void SlaWatchReactor::Deliver(std::int64_t cursor, Notice notice) {
  Lock lock(mu_);
  if (finished_) return;
  feed_.Live({cursor, std::move(notice)});
  PumpLocked();
}

void SlaWatchReactor::PumpLocked() {
  if (finished_ || in_flight_) return;
  switch (feed_.Next()) {
    case SlaEventFeed<Notice>::Step::kWrite:
      in_flight_ = feed_.Pop().payload;  // kept alive until OnWriteDone
      StartWrite(in_flight_.get());
      return;
    case SlaEventFeed<Notice>::Step::kRead: {
      executor_busy_ = true;
      const std::int64_t after = feed_.BeginRead();
      boost::asio::post(executor_, [this, after] { ReadPage(after); });
      return;
    }
    case SlaEventFeed<Notice>::Step::kIdle:
      return;
  }
}

void SlaWatchReactor::ReadPage(std::int64_t after) {
  auto page = hub_.backlog()(after, branch_id_, type_code_, kPageSize);
  Lock lock(mu_);
  executor_busy_ = false;
  if (finished_) return;
  if (!page.ok()) {
    FinishLocked(ToGrpcStatus(page.status().WithContext("reading stored SLA events")));
    return;
  }
  if (first_read_ && resume_after_ && *resume_after_ > page->newest) {
    // A cursor from another case.db (or a restored older copy): resuming would skip events.
    FinishLocked(ToGrpcStatus(
        Status::InvalidArgument("after_cursor: " + std::to_string(*resume_after_) +
                                " is newer than the newest event (" + std::to_string(page->newest) +
                                "); cursors come from this csopsd's SlaEventNotice.cursor")));
    return;
  }
  first_read_ = false;
  const bool full = static_cast<int>(page->events.size()) >= kPageSize;
  std::vector<SlaEventFeed<Notice>::Item> items;
  items.reserve(page->events.size());
  for (const SlaEvent& e : page->events)
    items.push_back({e.cursor, std::make_shared<const pb::SlaEventNotice>(ToNotice(e))});
  feed_.OnPage(std::move(items), full);
  PumpLocked();
}

void SlaWatchReactor::OnWriteDone(bool ok) {
  Lock lock(mu_);
  in_flight_.reset();
  if (finished_) return;
  if (!ok) {
    FinishLocked(grpc::Status::OK);  // the client went away
    return;
  }
  PumpLocked();
}

void SlaWatchReactor::OnCancel() {
  Lock lock(mu_);
  FinishLocked(grpc::Status::CANCELLED);
}

void SlaWatchReactor::FinishLocked(grpc::Status status) {
  if (finished_) return;
  finished_ = true;
  Finish(std::move(status));
}

void SlaWatchReactor::OnDone() {
  hub_.Unsubscribe(this);
  // A read task may still be queued on the executor and refers to `this`.
  for (;;) {
    {
      Lock lock(mu_);
      if (!executor_busy_) break;
    }
    std::this_thread::yield();
  }
  if (on_done_) on_done_();
  delete this;
}

}  // namespace csops::cases

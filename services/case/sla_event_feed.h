// What one WatchSlaEvents stream still has to send, and where it comes from: the ordering
// logic of a resumable stream, free of gRPC and of the store, so it can be tested on its own.
//
// Every event has a cursor; cursors grow in commit order (CaseTx::SlaEventsAfter), and they are
// consecutive. Events may be published out of cursor order (the PostgreSQL store answers its
// commits on several threads); a gap is what tells: a live event whose cursor is not the next
// one makes the stream catch up from the store, which holds the missing event already (it
// committed before the later one got its cursor), and buffered events are queued only while
// their cursors follow on without a gap. A stream
// that resumes after cursor C is "catching up": it reads pages of stored events after the last
// cursor it queued, while live events (Live) wait in a buffer. When a page comes back short
// (the store had nothing more) and no live event was dropped since that read began, every
// event is covered: the store had everything committed before the read, the buffer everything
// published since the subscription (or since the buffer last overflowed, which was before the
// read). The buffered events after the last stored cursor are queued and the stream is live.
// No gap: each committed event is published after its commit, so one the read did not see was
// published after the subscription. No repeat: only cursors above the last queued one are
// queued.
//
// Bounds: at most `max_queued` events wait to be written and at most `max_queued` in the
// catch-up buffer. A live stream whose queue overflows (a watcher that stopped reading) drops
// its queue and catches up from the store after the last event it was given; a full buffer is
// dropped the same way, and the next read covers it. So memory is bounded and nothing is lost.
//
// Protocol for the owner (one at a time, e.g. under the reactor's lock): after any call, ask
// Next(): kWrite -> Pop() and write it; kRead -> BeginRead() and read the store after the
// cursor it returns, then OnPage(); kIdle -> wait for Live(), a page, or the write to finish.
// Not thread-safe.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/status.h"

namespace csops::cases {

// WatchSlaEventsRequest.after_cursor: "" -> nullopt (live only); "0" or the decimal form of a
// positive int64 without leading zeros -> that cursor; anything else kInvalidArgument naming
// after_cursor, with the value quoted and escaped.
Result<std::optional<std::int64_t>> ParseSlaCursor(std::string_view text);

template <typename Payload>
class SlaEventFeed {
 public:
  struct Item {
    std::int64_t cursor = 0;
    Payload payload;
  };
  enum class Step { kIdle, kWrite, kRead };

  // `after`: resume after this cursor (catch up from the store first); nullopt: live only.
  SlaEventFeed(std::optional<std::int64_t> after, std::size_t max_queued)
      : max_queued_(max_queued), catching_up_(after.has_value()) {
    last_queued_ = last_popped_ = after.value_or(kUnknown);
  }

  // A committed event, in commit order.
  void Live(Item item) {
    if (catching_up_) {
      if (buffer_.size() >= max_queued_) {
        buffer_.clear();
        dropped_ = true;  // the read in flight, if any, may not cover what was dropped
      }
      buffer_.push_back(std::move(item));
      return;
    }
    if (last_popped_ == kUnknown) {
      // Live only: the stream starts at the first event published after the subscription
      // (events are published in cursor order), so a catch-up never reaches further back.
      last_queued_ = last_popped_ = item.cursor - 1;
    }
    if (item.cursor <= last_queued_) return;  // already queued from the store
    if (item.cursor > last_queued_ + 1) {     // published before an earlier one: read the gap
      catching_up_ = true;
      dropped_ = false;
      buffer_.push_back(std::move(item));
      return;
    }
    if (queue_.size() >= max_queued_) {  // the watcher stopped reading: catch up later
      queue_.clear();
      buffer_.clear();
      last_queued_ = last_popped_;
      catching_up_ = true;
      dropped_ = false;  // no read in flight: the next one covers this event
      buffer_.push_back(std::move(item));
      return;
    }
    last_queued_ = item.cursor;
    queue_.push_back(std::move(item));
  }

  Step Next() const {
    if (!queue_.empty()) return Step::kWrite;
    if (catching_up_ && !reading_) return Step::kRead;
    return Step::kIdle;
  }

  // REQUIRES: Next() == kWrite.
  Item Pop() {
    Item item = std::move(queue_.front());
    queue_.pop_front();
    last_popped_ = item.cursor;
    return item;
  }

  // REQUIRES: Next() == kRead. Returns the cursor to read after; pair with OnPage.
  std::int64_t BeginRead() {
    reading_ = true;
    dropped_ = false;
    return last_queued_;
  }

  // The stored events after BeginRead's cursor, by cursor; `full`: the read hit its limit,
  // so there may be more.
  void OnPage(std::vector<Item> page, bool full) {
    reading_ = false;
    for (Item& item : page) {
      if (item.cursor <= last_queued_) continue;
      last_queued_ = item.cursor;
      queue_.push_back(std::move(item));
    }
    if (full || dropped_) return;  // read again once the queue has been written
    std::sort(buffer_.begin(), buffer_.end(),
              [](const Item& a, const Item& b) { return a.cursor < b.cursor; });
    while (!buffer_.empty() && buffer_.front().cursor <= last_queued_ + 1) {
      Item item = std::move(buffer_.front());
      buffer_.pop_front();
      if (item.cursor <= last_queued_) continue;
      last_queued_ = item.cursor;
      queue_.push_back(std::move(item));
    }
    // A buffered event after a gap waits for the next read, which finds the missing one.
    catching_up_ = !buffer_.empty();
  }

  bool catching_up() const { return catching_up_; }
  std::size_t queued() const { return queue_.size(); }

 private:
  static constexpr std::int64_t kUnknown = -1;  // live only, before the first event
  const std::size_t max_queued_;
  std::deque<Item> queue_;   // to be written, by cursor
  std::deque<Item> buffer_;  // live events while catching up
  std::int64_t last_queued_ = 0;
  std::int64_t last_popped_ = 0;
  bool catching_up_;
  bool reading_ = false;
  bool dropped_ = false;  // buffer_ overflowed since the read in flight began
};

}  // namespace csops::cases

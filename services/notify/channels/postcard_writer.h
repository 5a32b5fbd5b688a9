// Postcards for the mail house, in print batches: one batch per window of
// `batch_window_minutes` (UTC-aligned), written into `directory` as
//
//   postcards-<YYYYMMDDTHHMM>.csv            id, name, address lines 1-6, text (RFC 4180)
//   postcards-<YYYYMMDDTHHMM>.manifest.json  {"window","cards","csv","sha256"}
//
// Send() appends the card to the window in the journal (domain/postcard_journal.h; durable
// when it answers) and answers ok with "<window>/<client id>" as the provider id; a window
// already printed (on another replica whose clock turned first) takes the card into the next.
// Tick() prints each window that ended: the CSV and manifest are each written to a temporary
// file, fsynced and renamed, so a reader never sees half a batch. Cards are keyed by client id:
// a card appended twice (a retry after a crash) prints once, and re-printing a window rewrites
// the same files, never a duplicate card. With the shared journal of PostgreSQL only the
// replica holding the batch lease prints, so `directory` should be the mail house's drop that
// every replica reaches (each window is written by one replica, whichever holds the lease).
#pragma once

#include <memory>
#include <mutex>

#include "services/notify/channels/sender.h"
#include "services/notify/domain/postcard_journal.h"

namespace csops::notify {

class PostcardWriter final : public ChannelSender {
 public:
  // `directory` must exist or be creatable. `clock` decides windows. `journal` null: the
  // journal files of one process in `directory`.
  PostcardWriter(ProviderModel p, std::string directory, const Clock& clock,
                 std::unique_ptr<PostcardJournal> journal = nullptr);
  SendOutcome Send(const OutgoingMessage& m) override;
  void Tick(Instant now) override;
  // Prints every window that ended before `now` (Tick's work; returns how many batches).
  int FlushEnded(Instant now);

 private:
  std::string WindowName(Instant t) const;
  // Writes the window's CSV and manifest from its cards (JSON lines).
  Status WriteBatch(const std::string& window, const std::vector<std::string>& cards) const;
  ProviderModel p_;
  std::string dir_;
  const Clock& clock_;
  std::unique_ptr<PostcardJournal> journal_;
  static constexpr Duration kTickEvery = std::chrono::seconds(2);
  std::mutex mu_;        // Send against FlushEnded in this process
  Instant last_tick_{};  // guarded by mu_
};

}  // namespace csops::notify

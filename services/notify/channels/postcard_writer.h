// Postcards for the mail house, in print batches: one batch per window of
// `batch_window_minutes` (UTC-aligned), written into `directory` as
//
//   postcards-<YYYYMMDDTHHMM>.csv            id, name, address lines 1-6, text (RFC 4180)
//   postcards-<YYYYMMDDTHHMM>.manifest.json  {"window","cards","csv","sha256"}
//
// Send() appends the card to the window's journal (fsynced) and answers ok with
// "<window>/<client id>" as the provider id. Tick() turns each journal whose window ended into
// its CSV and manifest, each written to a temporary file, fsynced and renamed, so a reader
// never sees half a batch. Cards are keyed by client id: a card appended twice (a retry after a
// crash) prints once, and re-running a window rewrites the same file, never a duplicate card.
#pragma once

#include <mutex>

#include "services/notify/channels/sender.h"

namespace csops::notify {

class PostcardWriter final : public ChannelSender {
 public:
  // `directory` must exist or be creatable. `clock` decides windows.
  PostcardWriter(ProviderModel p, std::string directory, const Clock& clock);
  SendOutcome Send(const OutgoingMessage& m) override;
  void Tick(Instant now) override;
  // Closes every window that ended before `now` (Tick's work; returns how many files written).
  int FlushEnded(Instant now);

 private:
  std::string WindowName(Instant t) const;
  ProviderModel p_;
  std::string dir_;
  const Clock& clock_;
  std::mutex mu_;
};

}  // namespace csops::notify

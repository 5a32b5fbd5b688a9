// The postcard journal (domain/postcard_journal.h) shared by every csopsd replica on one
// PostgreSQL database, so a print window is one batch for the whole deployment: each replica
// appends the cards it sends, and only the holder of the provider's lease (LeaseName) prints.
//
// Tables (notify migration 4): csops_postcard_windows, one row per provider and window
// (printed_at NULL
// until printed, then who printed it under which epoch, and how many cards), and
// csops_postcard_cards, the cards of windows not yet printed (name, postal address and text:
// personal data, deleted in the transaction that marks the window printed). Printed windows'
// rows are kept 90 days.
//
// How a window is printed once, and whole:
// - Append inserts the window's row if missing and reads it FOR SHARE before inserting the
//   card: appends to a window do not wait for each other, and the row tells whether the
//   window is printed (kFailedPrecondition then).
// - Print runs in one transaction: the lease's fence (CheckFence, so a replica that lost the
//   lease since Ended writes nothing and a takeover waits for this commit), the window's row
//   FOR UPDATE (waiting for every append in flight, and refusing later ones once committed),
//   the cards, `publish` (the files), then the row marked printed and the cards deleted.
//   `publish` may run twice for one print (a transaction run again after a deadlock or
//   serialization failure, database.h); it writes the same files from the same cards.
// Thread safety: thread-safe.
#pragma once

#include "common/postgres/database.h"
#include "common/postgres/lease_keeper.h"
#include "services/notify/domain/postcard_journal.h"

namespace csops::notify {

class PostgresPostcardJournal final : public PostcardJournal {
 public:
  // The lease whose holder prints `provider`'s batches: "notify.postcards.<provider>".
  static std::string LeaseName(const std::string& provider) {
    return "notify.postcards." + provider;
  }

  // `db` holds the notify schema at version 4 or later; `lease` keeps LeaseName(provider) for
  // this replica. Both outlive the journal.
  PostgresPostcardJournal(postgres::Database& db, std::string provider,
                          const postgres::LeaseKeeper& lease)
      : db_(db), provider_(std::move(provider)), lease_(lease) {}
  Status Append(const std::string& window, const std::string& client_id,
                const std::string& card_json) override;
  Result<EndedWindows> Ended(const std::string& current) override;
  Status Print(const std::string& window, std::int64_t token, const Publish& publish) override;

 private:
  postgres::Database& db_;
  const std::string provider_;
  const postgres::LeaseKeeper& lease_;
};

}  // namespace csops::notify

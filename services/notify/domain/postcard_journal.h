// Where the postcard writer (channels/postcard_writer.h) keeps the cards of a print window
// until its batch is printed. Two kinds: a journal file per window in the writer's directory
// (one process: channels/file_postcard_journal.h), and tables shared by every replica on
// PostgreSQL, printed by the one replica that holds the batch lease
// (store/postgres/postgres_postcard_journal.h), so each window is one batch for the whole
// deployment, never one per replica.
//
// Contract.
// - Append is durable when it returns OK. A card whose client id is already in the window is
//   kept once (a retry after a crash). kFailedPrecondition: the window was printed already
//   (another replica's clock turned first); the writer appends to the next window instead.
// - Ended lists the windows before `current` that hold cards not yet printed, oldest first,
//   and the token Print must show. Empty while another replica prints.
// - Print hands the window's cards (JSON objects with "id", ordered by id) to `publish`, which
//   writes the batch's files; if publish succeeds the window is printed: its cards are
//   forgotten and later appends to it refused. No card is appended to the window while publish
//   runs. On the shared journal, a token whose lease was lost since Ended is refused
//   (kFailedPrecondition) before publish runs, so a replica woken from a pause prints nothing.
//   Any error leaves the window as it was, to print again; publish must therefore give the
//   same files for the same cards.
// Thread safety: implementations are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/base/status.h"

namespace csops::notify {

class PostcardJournal {
 public:
  using Publish = std::function<Status(const std::vector<std::string>& cards)>;
  struct EndedWindows {
    std::vector<std::string> windows;  // "YYYYMMDDTHHMM", oldest first
    std::int64_t token = 0;            // the batch lease's epoch (0: not leased)
  };

  virtual ~PostcardJournal() = default;
  virtual Status Append(const std::string& window, const std::string& client_id,
                        const std::string& card_json) = 0;
  virtual Result<EndedWindows> Ended(const std::string& current) = 0;
  virtual Status Print(const std::string& window, std::int64_t token, const Publish& publish) = 0;
};

}  // namespace csops::notify

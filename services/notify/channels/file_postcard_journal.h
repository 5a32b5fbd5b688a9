// The postcard journal of one process (domain/postcard_journal.h): the cards of a window are
// lines of `<directory>/postcards-<window>.journal`, each appended and fsynced; printing a
// window removes its journal. One process prints its own windows, so the token is unused and
// Append is never refused.
#pragma once

#include <mutex>
#include <string>

#include "services/notify/domain/postcard_journal.h"

namespace csops::notify {

class FilePostcardJournal final : public PostcardJournal {
 public:
  explicit FilePostcardJournal(std::string directory);  // created if missing
  Status Append(const std::string& window, const std::string& client_id,
                const std::string& card_json) override;
  Result<EndedWindows> Ended(const std::string& current) override;
  Status Print(const std::string& window, std::int64_t token, const Publish& publish) override;

 private:
  std::string JournalPath(const std::string& window) const;
  const std::string dir_;
  std::mutex mu_;  // Append against Print of the same window
};

// Writes `data` to `path` and fsyncs it (appending or replacing its contents).
bool WriteDurably(const std::string& path, const std::string& data, bool append);
// Writes `data` to `path`.tmp, fsyncs it, and renames it over `path`: a reader sees the old
// file or the new one, never half of it.
bool ReplaceDurably(const std::string& path, const std::string& data);

}  // namespace csops::notify

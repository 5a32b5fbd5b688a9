#include "services/notify/channels/postcard_writer.h"

#include <absl/time/time.h>
#include <openssl/sha.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "common/base/log.h"
#include "services/notify/channels/file_postcard_journal.h"

namespace csops::notify {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

std::string CsvField(const std::string& s) {
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string Sha256Hex(const std::string& s) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d[i]);
  return hex;
}

}  // namespace

PostcardWriter::PostcardWriter(ProviderModel p, std::string directory, const Clock& clock,
                               std::unique_ptr<PostcardJournal> journal)
    : p_(std::move(p)), dir_(std::move(directory)), clock_(clock), journal_(std::move(journal)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (!journal_) journal_ = std::make_unique<FilePostcardJournal>(dir_);
}

std::string PostcardWriter::WindowName(Instant t) const {
  const std::int64_t window_ms = std::int64_t{p_.batch_window_minutes} * 60000;
  const std::int64_t start = ToUnixMillis(t) / window_ms * window_ms;
  return absl::FormatTime("%Y%m%dT%H%M", absl::FromUnixMillis(start), absl::UTCTimeZone());
}

SendOutcome PostcardWriter::Send(const OutgoingMessage& m) {
  if (m.recipient.postal_address.empty()) return SendOutcome::Permanent("no postal address");
  const Json card = {{"id", m.client_id},
                     {"name", m.recipient.name},
                     {"address", m.recipient.postal_address},
                     {"text", m.message.body}};
  std::lock_guard<std::mutex> lock(mu_);
  // Under the lock: never a window this process has closed. Another replica may have printed
  // this window already (its clock a little ahead): then the card goes into the next one.
  Instant at = clock_.Now();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const std::string window = WindowName(at);
    Status s = journal_->Append(window, m.client_id, card.dump());
    if (s.ok()) return SendOutcome::Ok(window + "/" + m.client_id);
    if (s.code() != StatusCode::kFailedPrecondition)
      return SendOutcome::Transient("cannot write the postcard journal");
    at += std::chrono::minutes(p_.batch_window_minutes);
  }
  return SendOutcome::Transient("postcard windows closed ahead of this replica's clock");
}

void PostcardWriter::Tick(Instant now) {
  // The dispatcher ticks at every pass; windows end every few minutes at most, so a look every
  // few seconds prints each one promptly without a query per pass.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (now >= last_tick_ && now - last_tick_ < kTickEvery) return;
    last_tick_ = now;
  }
  FlushEnded(now);
}

Status PostcardWriter::WriteBatch(const std::string& window,
                                  const std::vector<std::string>& cards) const {
  std::string csv = "id,name,address1,address2,address3,address4,address5,address6,text\r\n";
  for (const std::string& line : cards) {
    const Json card = Json::parse(line, nullptr, false);
    if (!card.is_object()) continue;
    csv += CsvField(card.value("id", "")) + "," + CsvField(card.value("name", ""));
    const auto lines = card.value("address", std::vector<std::string>{});
    for (std::size_t i = 0; i < 6; ++i) csv += "," + CsvField(i < lines.size() ? lines[i] : "");
    csv += "," + CsvField(card.value("text", "")) + "\r\n";
  }
  const fs::path base = fs::path(dir_) / ("postcards-" + window);
  const Json manifest = {{"window", window},
                         {"cards", cards.size()},
                         {"csv", base.filename().string() + ".csv"},
                         {"sha256", Sha256Hex(csv)}};
  if (!ReplaceDurably(base.string() + ".csv", csv) ||
      !ReplaceDurably(base.string() + ".manifest.json", manifest.dump(2) + "\n"))
    return Status::Unavailable("cannot write postcard batch " + window);
  return Status::Ok();
}

int PostcardWriter::FlushEnded(Instant now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto ended = journal_->Ended(WindowName(now));
  if (!ended.ok()) {
    CSOPS_LOG(kWarning, "postcard_batches_unreadable").Kv("error", ended.status().ToString());
    return 0;
  }
  int written = 0;
  for (const std::string& window : ended->windows) {
    Status s = journal_->Print(window, ended->token, [&](const std::vector<std::string>& cards) {
      return WriteBatch(window, cards);
    });
    if (s.ok()) {
      ++written;
      CSOPS_LOG(kInfo, "postcard_batch_written").Kv("window", window);
    } else {
      // Retried at the next tick; a lost lease stops this replica printing at all.
      CSOPS_LOG(kWarning, "postcard_batch_failed").Kv("window", window).Kv("error", s.ToString());
      if (s.code() == StatusCode::kFailedPrecondition) break;
    }
  }
  return written;
}

}  // namespace csops::notify

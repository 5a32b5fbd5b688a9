#include "services/notify/channels/postcard_writer.h"

#include <absl/time/time.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace csops::notify {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

bool WriteDurably(const fs::path& path, const std::string& data, bool append) {
  const int fd =
      ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0640);
  if (fd < 0) return false;
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool ok = ::fsync(fd) == 0;
  return ::close(fd) == 0 && ok;
}

bool ReplaceDurably(const fs::path& path, const std::string& data) {
  const fs::path tmp = path.string() + ".tmp";
  if (!WriteDurably(tmp, data, false)) return false;
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return false;
  const int dfd = ::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

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

PostcardWriter::PostcardWriter(ProviderModel p, std::string directory, const Clock& clock)
    : p_(std::move(p)), dir_(std::move(directory)), clock_(clock) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
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
  const std::string window = WindowName(clock_.Now());  // under the lock: never a closed window
  if (!WriteDurably(fs::path(dir_) / ("postcards-" + window + ".journal"), card.dump() + "\n",
                    true))
    return SendOutcome::Transient("cannot write the postcard journal");
  return SendOutcome::Ok(window + "/" + m.client_id);
}

void PostcardWriter::Tick(Instant now) { FlushEnded(now); }

int PostcardWriter::FlushEnded(Instant now) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string current = WindowName(now);
  int written = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("postcards-", 0) != 0 || entry.path().extension() != ".journal") continue;
    const std::string window = name.substr(10, name.size() - 10 - 8);
    if (window >= current) continue;  // still open
    std::ifstream in(entry.path());
    std::map<std::string, Json> cards;  // by client id: a repeated card prints once
    for (std::string line; std::getline(in, line);) {
      const Json card = Json::parse(line, nullptr, false);
      if (card.is_object() && card.contains("id"))
        cards.emplace(card["id"].get<std::string>(), card);
    }
    std::string csv = "id,name,address1,address2,address3,address4,address5,address6,text\r\n";
    for (const auto& [id, card] : cards) {
      csv += CsvField(id) + "," + CsvField(card.value("name", ""));
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
      continue;  // retried at the next tick
    fs::remove(entry.path(), ec);
    ++written;
  }
  return written;
}

}  // namespace csops::notify

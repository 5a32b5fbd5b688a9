#include "services/notify/channels/file_postcard_journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

namespace csops::notify {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr char kPrefix[] = "postcards-";
constexpr char kSuffix[] = ".journal";

}  // namespace

bool WriteDurably(const std::string& path, const std::string& data, bool append) {
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

bool ReplaceDurably(const std::string& path, const std::string& data) {
  const std::string tmp = path + ".tmp";
  if (!WriteDurably(tmp, data, false)) return false;
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return false;
  const int dfd = ::open(fs::path(path).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

FilePostcardJournal::FilePostcardJournal(std::string directory) : dir_(std::move(directory)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
}

std::string FilePostcardJournal::JournalPath(const std::string& window) const {
  return (fs::path(dir_) / (kPrefix + window + kSuffix)).string();
}

Status FilePostcardJournal::Append(const std::string& window, const std::string& /*client_id*/,
                                   const std::string& card_json) {
  std::lock_guard lock(mu_);
  if (!WriteDurably(JournalPath(window), card_json + "\n", true))
    return Status::Unavailable("cannot write the postcard journal");
  return Status::Ok();
}

Result<PostcardJournal::EndedWindows> FilePostcardJournal::Ended(const std::string& current) {
  EndedWindows out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0 || entry.path().extension() != kSuffix) continue;
    const std::string window = name.substr(
        sizeof(kPrefix) - 1, name.size() - (sizeof(kPrefix) - 1) - (sizeof(kSuffix) - 1));
    if (window < current) out.windows.push_back(window);
  }
  if (ec) return Status::Unavailable("cannot read the postcard directory: " + ec.message());
  std::sort(out.windows.begin(), out.windows.end());
  return out;
}

Status FilePostcardJournal::Print(const std::string& window, std::int64_t /*token*/,
                                  const Publish& publish) {
  std::lock_guard lock(mu_);
  std::ifstream in(JournalPath(window));
  if (!in) return Status::NotFound("no journal for postcard window " + window);
  std::map<std::string, std::string> cards;  // by client id: a repeated card prints once
  for (std::string line; std::getline(in, line);) {
    const Json card = Json::parse(line, nullptr, false);
    if (card.is_object() && card.contains("id") && card["id"].is_string())
      cards.emplace(card["id"].get<std::string>(), line);
  }
  std::vector<std::string> ordered;
  for (auto& [id, line] : cards) ordered.push_back(std::move(line));
  CSOPS_RETURN_IF_ERROR(publish(ordered));
  std::error_code ec;
  fs::remove(JournalPath(window), ec);
  return Status::Ok();
}

}  // namespace csops::notify

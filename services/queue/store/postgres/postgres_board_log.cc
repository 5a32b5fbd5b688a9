#include "services/queue/store/postgres/postgres_board_log.h"

namespace csops::queue {

using postgres::Connection;

namespace {

// Payloads travel as hex text (parameters and results are text; see connection.h).
std::string ToHex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> FromHex(const std::string& hex) {
  if (hex.size() % 2 != 0) return Status::Internal("csops_board_events.payload: odd hex length");
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigit(hex[i]), lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return Status::Internal("csops_board_events.payload: not hex");
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

Status AppendBoardEntries(Connection& c, const std::string& branch_id,
                          const std::vector<std::string>& payloads, Instant at) {
  if (payloads.empty()) return Status::Ok();
  CSOPS_RETURN_IF_ERROR(c.LockKey("branch", branch_id));
  const auto n = static_cast<std::int64_t>(payloads.size());
  auto head = c.Query(
      "INSERT INTO csops_board_heads AS h(branch_id, last_sequence) VALUES($1, $2) "
      "ON CONFLICT (branch_id) DO UPDATE SET last_sequence = h.last_sequence + $2 "
      "RETURNING last_sequence",
      {branch_id, n});
  if (!head.ok()) return head.status();
  if (head->empty()) return Status::Internal("csops_board_heads upsert returned no row");
  std::int64_t sequence = head->Int(0, 0) - n;
  for (const std::string& p : payloads) {
    auto r = c.Run(
        "INSERT INTO csops_board_events(branch_id, sequence, written_at, payload) "
        "VALUES($1, $2, $3, decode($4, 'hex'))",
        {branch_id, ++sequence, ToUnixMillis(at), ToHex(p)});
    if (!r.ok()) return r.status();
  }
  return Status::Ok();
}

void PostgresBoardLog::Append(const std::string& branch_id, std::vector<std::string> payloads,
                              Instant at, std::function<void(const Status&)> done) {
  db_.Transact([branch_id, payloads = std::move(payloads),
                at](Connection& c) { return AppendBoardEntries(c, branch_id, payloads, at); },
               std::move(done), "branch:" + branch_id);
}

Result<std::map<std::string, std::int64_t>> PostgresBoardLog::Heads() {
  std::map<std::string, std::int64_t> out;
  Status s = db_.Read([&out](Connection& c) -> Status {
    auto r = c.Query("SELECT branch_id, last_sequence FROM csops_board_heads");
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) out[r->Text(i, 0)] = r->Int(i, 1);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<BoardLogEntry>> PostgresBoardLog::After(const std::string& branch_id,
                                                           std::int64_t after, int limit) {
  std::vector<BoardLogEntry> out;
  Status s = db_.Read([&](Connection& c) -> Status {
    auto r = c.Query(
        "SELECT sequence, encode(payload, 'hex') FROM csops_board_events WHERE branch_id = $1 AND "
        "sequence > $2 ORDER BY sequence LIMIT $3",
        {branch_id, after, limit});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r->size(); ++i) {
      auto payload = FromHex(r->Text(i, 1));
      if (!payload.ok()) return payload.status();
      out.push_back({r->Int(i, 0), std::move(*payload)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int> PostgresBoardLog::Prune(Instant cutoff) {
  int deleted = 0;
  Status s = db_.Write([&](Connection& c) -> Status {
    auto n = c.Run("DELETE FROM csops_board_events WHERE written_at < $1", {ToUnixMillis(cutoff)});
    if (!n.ok()) return n.status();
    deleted = *n;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return deleted;
}

}  // namespace csops::queue

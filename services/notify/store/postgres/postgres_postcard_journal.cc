#include "services/notify/store/postgres/postgres_postcard_journal.h"

namespace csops::notify {

using postgres::Connection;

Status PostgresPostcardJournal::Append(const std::string& window, const std::string& client_id,
                                       const std::string& card_json) {
  return db_.Write([&](Connection& c) -> Status {
    auto made = c.Run(
        "INSERT INTO csops_postcard_windows(provider, window_name) VALUES($1, $2) "
        "ON CONFLICT (provider, window_name) DO NOTHING",
        {provider_, window});
    if (!made.ok()) return made.status();
    auto row = c.Query(
        "SELECT (printed_at IS NOT NULL)::int FROM csops_postcard_windows WHERE provider = $1 "
        "AND window_name = $2 FOR SHARE",
        {provider_, window});
    if (!row.ok()) return row.status();
    if (row->empty() || row->Int(0, 0) != 0)
      return Status::FailedPrecondition("postcard window " + window + " is printed already");
    auto card = c.Run(
        "INSERT INTO csops_postcard_cards(provider, window_name, client_id, card) "
        "VALUES($1, $2, $3, $4) ON CONFLICT (provider, window_name, client_id) DO NOTHING",
        {provider_, window, client_id, card_json});
    return card.status();
  });
}

Result<PostcardJournal::EndedWindows> PostgresPostcardJournal::Ended(const std::string& current) {
  EndedWindows out;
  const auto epoch = lease_.held();
  if (!epoch) return out;  // another replica prints
  out.token = *epoch;
  Status s = db_.Read([&](Connection& c) -> Status {
    auto rows = c.Query(
        "SELECT window_name FROM csops_postcard_windows WHERE provider = $1 "
        "AND printed_at IS NULL AND window_name < $2 ORDER BY window_name",
        {provider_, current});
    if (!rows.ok()) return rows.status();
    for (int i = 0; i < rows->size(); ++i) out.windows.push_back(rows->Text(i, 0));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status PostgresPostcardJournal::Print(const std::string& window, std::int64_t token,
                                      const Publish& publish) {
  return db_.Write([&](Connection& c) -> Status {
    CSOPS_RETURN_IF_ERROR(lease_.Fence(c, token));
    auto row = c.Query(
        "SELECT (printed_at IS NOT NULL)::int FROM csops_postcard_windows WHERE provider = $1 "
        "AND window_name = $2 FOR UPDATE",
        {provider_, window});
    if (!row.ok()) return row.status();
    if (row->empty()) return Status::NotFound("no postcard window " + window);
    if (row->Int(0, 0) != 0) return Status::Ok();  // printed meanwhile: nothing to do
    auto rows = c.Query(
        "SELECT card FROM csops_postcard_cards WHERE provider = $1 AND window_name = $2 "
        "ORDER BY client_id",
        {provider_, window});
    if (!rows.ok()) return rows.status();
    std::vector<std::string> cards;
    for (int i = 0; i < rows->size(); ++i) cards.push_back(rows->Text(i, 0));
    CSOPS_RETURN_IF_ERROR(publish(cards));
    auto mark = c.Run(
        "UPDATE csops_postcard_windows SET printed_at = now(), printed_by = $3, epoch = $4, "
        "cards = $5 WHERE provider = $1 AND window_name = $2",
        {provider_, window, lease_.holder(), token, static_cast<std::int64_t>(cards.size())});
    if (!mark.ok()) return mark.status();
    auto forget = c.Run("DELETE FROM csops_postcard_cards WHERE provider = $1 AND window_name = $2",
                        {provider_, window});
    if (!forget.ok()) return forget.status();
    auto prune =
        c.Run("DELETE FROM csops_postcard_windows WHERE printed_at < now() - interval '90 days'");
    return prune.status();
  });
}

}  // namespace csops::notify

#include "services/notify/channels/postcard_writer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base/testutil.h"

namespace csops::notify {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

OutgoingMessage Card(const std::string& id, const std::string& text) {
  OutgoingMessage m;
  m.client_id = id;
  m.channel = Channel::kPostcard;
  m.recipient.name = "王小明";
  m.recipient.postal_address = {"100 台北市中正區", "羅斯福路一段 1 號 \"A\" 棟"};
  m.message.body = text;
  return m;
}

TEST(PostcardWriterTest, OneAtomicBatchPerWindowAndNoCardTwice) {
  TempDir dir;
  // 2026-03-03 10:05 UTC; hourly windows.
  FakeClock clock(FromUnixMillis(1772532300000));
  ProviderModel p;
  p.name = "mail_house";
  p.kind = ProviderKind::kPostcardFile;
  p.batch_window_minutes = 60;
  PostcardWriter w(p, dir.path() + "/out", clock);
  auto a = w.Send(Card("csops-1", "電費 1234 元\n請繳納"));
  ASSERT_EQ(a.kind, OutcomeKind::kOk);
  EXPECT_EQ(a.provider_message_id, "20260303T1000/csops-1");
  w.Send(Card("csops-2", "second"));
  w.Send(Card("csops-1", "電費 1234 元\n請繳納"));  // a retry after a crash
  EXPECT_EQ(w.FlushEnded(clock.Now()), 0);          // the window is still open
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/out/postcards-20260303T1000.csv"));
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(w.FlushEnded(clock.Now()), 1);
  const std::string csv = Slurp(dir.path() + "/out/postcards-20260303T1000.csv");
  EXPECT_EQ(
      csv,
      "id,name,address1,address2,address3,address4,address5,address6,text\r\n"
      "\"csops-1\",\"王小明\",\"100 台北市中正區\",\"羅斯福路一段 1 號 \"\"A\"\" 棟\",\"\",\"\","
      "\"\",\"\",\"電費 1234 元\n請繳納\"\r\n"
      "\"csops-2\",\"王小明\",\"100 台北市中正區\",\"羅斯福路一段 1 號 \"\"A\"\" 棟\",\"\",\"\","
      "\"\",\"\",\"second\"\r\n");
  const std::string manifest = Slurp(dir.path() + "/out/postcards-20260303T1000.manifest.json");
  EXPECT_NE(manifest.find("\"cards\": 2"), std::string::npos);
  EXPECT_NE(manifest.find("\"sha256\""), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/out/postcards-20260303T1000.journal"));
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/out"))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos);
  // A crash after the CSV but before the journal was removed: the window is written again from
  // the same cards, identical, never with a duplicate.
  {
    std::ofstream j(dir.path() + "/out/postcards-20260303T1000.journal");
    j << R"({"id":"csops-2","name":"王小明","address":["100 台北市中正區","羅斯福路一段 1 號 \"A\" 棟"],"text":"second"})"
      << "\n";
    j << R"({"id":"csops-1","name":"王小明","address":["100 台北市中正區","羅斯福路一段 1 號 \"A\" 棟"],"text":"電費 1234 元\n請繳納"})"
      << "\n";
  }
  EXPECT_EQ(w.FlushEnded(clock.Now()), 1);
  EXPECT_EQ(Slurp(dir.path() + "/out/postcards-20260303T1000.csv"), csv);
  // The next card goes to the next window.
  EXPECT_EQ(w.Send(Card("csops-3", "x")).provider_message_id, "20260303T1100/csops-3");
  EXPECT_EQ(w.Send(OutgoingMessage{}).kind, OutcomeKind::kPermanent);  // no address
}

}  // namespace
}  // namespace csops::notify

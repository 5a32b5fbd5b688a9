#include <gtest/gtest.h>

#include "common/grpc/proto_time.h"
#include "tools/report/period.h"
#include "tools/report/report_builder.h"
#include "tools/report/svg_chart.h"

namespace csops::report {
namespace {

absl::TimeZone Taipei() {
  absl::TimeZone z;
  EXPECT_TRUE(absl::LoadTimeZone("Asia/Taipei", &z));
  return z;
}

TEST(PeriodTest, DatesAreStrictAndMonthsAreClippedToThePeriod) {
  EXPECT_FALSE(ParseDay("--from", "2026-02-30").ok());
  EXPECT_FALSE(ParseDay("--from", "2026-2-3").ok());
  EXPECT_NE(ParseDay("--to", "x").status().message().find("--to"), std::string::npos);
  auto first = ParseDay("--from", "2026-01-15");
  auto last = ParseDay("--to", "2026-03-10");
  ASSERT_TRUE(first.ok() && last.ok());
  auto whole = WholePeriod(*first, *last, Taipei());
  ASSERT_TRUE(whole.ok());
  // Local midnight in Taipei is 16:00 UTC the day before.
  EXPECT_EQ(FormatRfc3339Utc(whole->from), "2026-01-14T16:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Utc(whole->to), "2026-03-10T16:00:00.000Z");
  auto months = MonthsOf(*first, *last, Taipei());
  ASSERT_EQ(months.size(), 3u);
  EXPECT_EQ(months[0].label, "2026-01");
  EXPECT_EQ(months[0].from, whole->from);
  EXPECT_EQ(FormatRfc3339Utc(months[1].from), "2026-01-31T16:00:00.000Z");
  EXPECT_EQ(months[2].to, whole->to);
  EXPECT_FALSE(WholePeriod(*last, *first, Taipei()).ok());
}

TEST(TableTest, CsvQuotesOnlyWhatNeedsItAndStartsWithABom) {
  Table t{"t", {"表", "T"}, {{"甲", "a"}, {"乙", "b"}}, {false, true}, {{"x,y", "say \"hi\""}}};
  EXPECT_EQ(ToCsv(t, Lang::kZhTw), "\xEF\xBB\xBF甲,乙\r\n\"x,y\",\"say \"\"hi\"\"\"\r\n");
  EXPECT_EQ(ToCsv(t, Lang::kEn).substr(3, 5), "a,b\r\n");
  const std::string html = ToHtml(t, Lang::kEn);
  EXPECT_NE(html.find("say &quot;hi&quot;"), std::string::npos);
  EXPECT_NE(html.find("<th scope=\"col\">a"), std::string::npos);
  EXPECT_NE(html.find("href=\"t.csv\""), std::string::npos);
}

TEST(SvgChartTest, BarsScaleToANiceMaximumAndCarryTheirValues) {
  Chart c{"c", {"圖", "Chart"}, {"A", "B"}, {{{"s", "s"}, {30, 100}}}};
  const std::string svg = RenderBars(c, Lang::kZhTw);
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg.find("aria-label=\"圖\""), std::string::npos);
  // The axis runs to 100, so the bars are 30 % and 100 % of the 248 px plot height; two
  // categories share the 680 px plot, each bar 80 % of its half less a 2 px gap.
  EXPECT_NE(
      svg.find("data-value=\"30.0000\" x=\"98.0\" y=\"189.6\" width=\"270.0\" height=\"74.4\""),
      std::string::npos)
      << svg;
  EXPECT_NE(svg.find("height=\"248.0\""), std::string::npos);
  Chart pct{"p", {"比率", "Share"}, {"一月"}, {{{"a", "a"}, {0.5}}, {{"b", "b"}, {1.2}}}, true};
  const std::string lines = RenderLines(pct, Lang::kEn);
  EXPECT_NE(lines.find("class=\"point\" data-value=\"0.5000\""), std::string::npos);
  EXPECT_NE(lines.find(">100.0%</text>"), std::string::npos);  // percent axis ends at 100 %
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n') > 5, true);
}

Slice SampleSlice() {
  Slice s;
  auto* a = s.queue.add_services();
  a->set_service_code("A");
  a->set_name_zh_tw("新設用電");
  a->set_issued(10);
  a->set_called(8);
  a->set_called_within_target(6);
  a->set_share_within_target(0.75);
  a->set_completed(7);
  a->set_no_shows(1);
  for (int i = 0; i < 8; ++i) a->add_wait_buckets()->set_count(i == 0 ? 6 : i == 3 ? 2 : 0);
  *s.queue.mutable_total() = *a;
  auto* complaint = s.cases.add_types();
  complaint->set_type_code("complaint");
  complaint->set_closed(4);
  complaint->set_closed_within_sla(3);
  complaint->set_share_within_sla(0.75);
  auto* fr = complaint->add_targets();
  fr->set_name("first_reply");
  fr->set_met(2);
  auto* d = s.cases.add_delays();
  d->set_acceptance_number("TS-20260301-0001");
  d->set_reason("待<施工>");
  ToProtoTimestamp(FromUnixMillis(1772323200000), d->mutable_declared_at());  // 2026-03-01 00:00Z
  auto* sms = s.notify.add_channels();
  sms->set_channel(csops::notify::v1::CHANNEL_SMS);
  sms->set_reached(9);
  sms->set_failed(1);
  sms->set_share_reached(0.9);
  return s;
}

TEST(ReportBuilderTest, EverySectionIsFilledFromTheAnswersAndTextIsEscaped) {
  ReportInput in;
  in.zone = Taipei();
  in.whole = SampleSlice();
  in.whole.period.label = "2026-01-01 – 2026-06-30";
  for (const char* m : {"2026-01", "2026-02"}) {
    Slice s = SampleSlice();
    s.period.label = m;
    in.months.push_back(s);
  }
  const ReportOutput out = BuildReport(in);
  std::map<std::string, const Table*> by_id;
  for (const Table& t : out.tables) by_id[t.id] = &t;
  for (const char* id : {"queue_services", "queue_wait_buckets", "queue_ratings", "cases_by_type",
                         "case_targets", "complaints_first_reply", "case_delays", "notify_channels",
                         "notify_kinds", "trend_monthly"})
    EXPECT_TRUE(by_id.count(id)) << id;
  EXPECT_EQ(by_id["complaints_first_reply"]->rows.at(0),
            (std::vector<std::string>{"complaint", "4", "2", "50.0%"}));
  EXPECT_EQ(by_id["case_delays"]->rows.at(0).at(3), "2026-03-01 08:00");  // Taipei time
  EXPECT_EQ(by_id["trend_monthly"]->rows.size(), 2u);
  EXPECT_EQ(by_id["queue_services"]->rows.at(0).at(6), "75.0%");
  EXPECT_NE(out.html.find("<html lang=\"zh-TW\">"), std::string::npos);
  EXPECT_NE(out.html.find("待&lt;施工&gt;"), std::string::npos);
  EXPECT_EQ(out.html.find("待<施工>"), std::string::npos);
  EXPECT_EQ(out.html.find("<script"), std::string::npos);  // nothing to run, nothing fetched
  EXPECT_EQ(out.html.find("http://"), out.html.find("http://www.w3.org/2000/svg"));
  // Summary: complaints 2 of 4 within 72 h, notices 9 of 10 reached.
  EXPECT_NE(out.html.find("<dd>50.0%</dd>"), std::string::npos);
  EXPECT_NE(out.html.find("<dd>90.0%</dd>"), std::string::npos);
  EXPECT_NE(out.html.find("class=\"bar\" data-value=\"6.0000\""), std::string::npos);
}

}  // namespace
}  // namespace csops::report

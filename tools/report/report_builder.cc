#include "tools/report/report_builder.h"

#include <map>

#include "common/grpc/proto_time.h"
#include "tools/report/svg_chart.h"

namespace csops::report {
namespace {

namespace qpb = csops::queue::v1;
namespace cpb = csops::case_::v1;
namespace npb = csops::notify::v1;

constexpr char kFirstReply[] = "first_reply";  // the complaint's 72 h answer target

std::string Int(std::int64_t v) { return std::to_string(v); }
std::string Minutes(double seconds) { return Fixed(seconds / 60.0, 1); }
std::string Hours(double seconds) { return Fixed(seconds / 3600.0, 1); }
double Share(std::int64_t part, std::int64_t whole) {
  return whole ? static_cast<double>(part) / static_cast<double>(whole) : 0;
}

Text ChannelText(npb::Channel c) {
  switch (c) {
    case npb::CHANNEL_EMAIL:
      return {"電子郵件", "E-mail"};
    case npb::CHANNEL_SMS:
      return {"簡訊", "SMS"};
    case npb::CHANNEL_VOICE:
      return {"語音電話", "Voice call"};
    case npb::CHANNEL_APP_PUSH:
      return {"App 推播", "App push"};
    case npb::CHANNEL_POSTCARD:
      return {"明信片", "Postcard"};
    default:
      return {"其他", "Other"};
  }
}

std::string BucketLabel(const qpb::WaitBucket& b, double previous) {
  if (b.le_seconds() == 0) return "> " + Fixed(previous / 60, 0) + " min";
  if (previous == 0) return "≤ " + Fixed(b.le_seconds() / 60, 0) + " min";
  return Fixed(previous / 60, 0) + "–" + Fixed(b.le_seconds() / 60, 0) + " min";
}

// Totals over every case type of one slice.
struct CaseTotals {
  std::int64_t closed = 0, within = 0, complaints_closed = 0, first_reply_met = 0;
};
CaseTotals TotalsOf(const cpb::GetSlaReportResponse& r) {
  CaseTotals t;
  for (const auto& type : r.types()) {
    t.closed += type.closed();
    t.within += type.closed_within_sla();
    for (const auto& target : type.targets())
      if (target.name() == kFirstReply) {
        t.complaints_closed += type.closed();
        t.first_reply_met += target.met();
      }
  }
  return t;
}

struct NoticeTotals {
  std::int64_t reached = 0, failed = 0, deliveries = 0;
};
NoticeTotals TotalsOf(const npb::GetNotifyReportResponse& r) {
  NoticeTotals t;
  for (const auto& c : r.channels()) {
    t.reached += c.reached();
    t.failed += c.failed();
    t.deliveries += c.deliveries();
  }
  return t;
}

class Builder {
 public:
  explicit Builder(const ReportInput& in) : in_(in), lang_(in.lang) {}

  ReportOutput Build() {
    std::string body;
    body += Summary();
    body += Section("queue", {"叫號服務", "Counter queue"}, QueueSection());
    body += Section("cases", {"案件處理時效", "Case timeliness"}, CaseSection());
    body += Section("notices", {"通知送達", "Notices"}, NoticeSection());
    body += Section("trend", {"逐月趨勢分析", "Month-by-month trend"}, TrendSection());
    out_.html = Page(body);
    return std::move(out_);
  }

 private:
  const std::string& T(const Text& t) const { return t.In(lang_); }
  std::string Bi(const Text& t) const {
    return EscapeHtml(T(t)) + " <span class=\"other\" lang=\"" + OtherLang() + "\">" +
           EscapeHtml(t.Other(lang_)) + "</span>";
  }
  const char* OtherLang() const { return lang_ == Lang::kEn ? "zh-TW" : "en"; }

  std::string Section(const std::string& id, const Text& title, const std::string& content) {
    toc_.push_back({id, title});
    return "<section id=\"" + id + "\" aria-labelledby=\"" + id + "-h\">\n<h2 id=\"" + id +
           "-h\">" + Bi(title) + "</h2>\n" + content + "</section>\n";
  }
  std::string Add(Table t) {
    std::string html = ToHtml(t, lang_);
    out_.tables.push_back(std::move(t));
    return html;
  }

  std::string Summary() {
    const auto& w = in_.whole;
    const CaseTotals c = TotalsOf(w.cases);
    const NoticeTotals n = TotalsOf(w.notify);
    const auto& q = w.queue.total();
    struct Card {
      Text label;
      std::string value;
    };
    const std::vector<Card> cards = {
        {{"服務人次", "Visitors served"}, Int(q.completed())},
        {{"等候未逾目標比率", "Called within target wait"}, Percent(q.share_within_target())},
        {{"平均滿意度 (1-5)", "Mean rating (1-5)"}, Fixed(q.mean_rating(), 2)},
        {{"案件如期完成率", "Cases closed on time"}, Percent(Share(c.within, c.closed))},
        {{"陳情 72 小時內回覆率", "Complaints answered in 72 h"},
         Percent(Share(c.first_reply_met, c.complaints_closed))},
        {{"通知送達率", "Notices reached"}, Percent(Share(n.reached, n.reached + n.failed))},
    };
    std::string out =
        "<section id=\"summary\" aria-labelledby=\"summary-h\">\n<h2 id=\"summary-h\">" +
        Bi({"重點指標", "Key figures"}) + "</h2>\n<dl class=\"cards\">\n";
    for (const Card& card : cards)
      out += "<div class=\"card\"><dt>" + Bi(card.label) + "</dt><dd>" + EscapeHtml(card.value) +
             "</dd></div>\n";
    return out + "</dl>\n</section>\n";
  }

  std::string QueueSection() {
    const auto& r = in_.whole.queue;
    Table services{"queue_services",
                   {"各服務類別等候與服務", "Waits and visits per service"},
                   {{"服務", "Service"},
                    {"名稱", "Name"},
                    {"目標等候 (分)", "Target wait (min)"},
                    {"取號", "Issued"},
                    {"叫號", "Called"},
                    {"未逾目標", "Within target"},
                    {"未逾目標比率", "Share within target"},
                    {"等候中位數 (分)", "Median wait (min)"},
                    {"等候 P90 (分)", "P90 wait (min)"},
                    {"平均等候 (分)", "Mean wait (min)"},
                    {"完成服務", "Served"},
                    {"過號未到", "No-shows"},
                    {"過號率", "No-show rate"},
                    {"取消", "Cancelled"},
                    {"逾時作廢", "Expired"}},
                   {false, false, true, true, true, true, true, true, true, true, true, true, true,
                    true, true},
                   {}};
    auto row = [&](const qpb::ServiceReport& s, const std::string& code, const std::string& name) {
      services.rows.push_back(
          {code, name, Minutes(s.target_wait_seconds()), Int(s.issued()), Int(s.called()),
           Int(s.called_within_target()), Percent(s.share_within_target()),
           Minutes(s.median_wait_seconds()), Minutes(s.p90_wait_seconds()),
           Minutes(s.mean_wait_seconds()), Int(s.completed()), Int(s.no_shows()),
           Percent(Share(s.no_shows(), s.called())), Int(s.cancelled()), Int(s.expired())});
    };
    for (const auto& s : r.services())
      row(s, s.service_code(),
          lang_ == Lang::kEn && !s.name_en().empty() ? s.name_en() : s.name_zh_tw());
    row(r.total(), lang_ == Lang::kEn ? "All" : "合計", "");
    services.rows.back()[2] = "";

    Table buckets{"queue_wait_buckets",
                  {"等候時間分布", "Wait distribution"},
                  {{"服務", "Service"}},
                  {false},
                  {}};
    Chart wait_chart{"chart-waits", {"等候時間分布 (人次)", "Wait distribution (tickets)"}};
    double previous = 0;
    for (const auto& b : r.total().wait_buckets()) {
      const std::string label = BucketLabel(b, previous);
      buckets.columns.push_back({label, label});
      buckets.numeric.push_back(true);
      wait_chart.categories.push_back(label);
      previous = b.le_seconds();
    }
    for (const auto& s : r.services()) {
      std::vector<std::string> cells = {s.service_code()};
      Series series{{s.service_code() + " " + s.name_zh_tw(),
                     s.service_code() + " " + (s.name_en().empty() ? s.name_zh_tw() : s.name_en())},
                    {}};
      for (const auto& b : s.wait_buckets()) {
        cells.push_back(Int(b.count()));
        series.values.push_back(static_cast<double>(b.count()));
      }
      buckets.rows.push_back(std::move(cells));
      wait_chart.series.push_back(std::move(series));
    }

    Table ratings{"queue_ratings",
                  {"臨櫃服務滿意度", "Counter ratings"},
                  {{"服務", "Service"},
                   {"1 分", "Score 1"},
                   {"2 分", "Score 2"},
                   {"3 分", "Score 3"},
                   {"4 分", "Score 4"},
                   {"5 分", "Score 5"},
                   {"平均", "Mean"}},
                  {false, true, true, true, true, true, true},
                  {}};
    auto rating_row = [&](const qpb::ServiceReport& s, const std::string& code) {
      std::vector<std::string> cells = {code};
      for (int i = 0; i < 5; ++i) cells.push_back(Int(i < s.ratings_size() ? s.ratings(i) : 0));
      cells.push_back(Fixed(s.mean_rating(), 2));
      ratings.rows.push_back(std::move(cells));
    };
    for (const auto& s : r.services()) rating_row(s, s.service_code());
    rating_row(r.total(), lang_ == Lang::kEn ? "All" : "合計");
    Chart rating_chart{
        "chart-ratings", {"滿意度分布 (人次)", "Ratings (visits)"}, {"1", "2", "3", "4", "5"}};
    Series all{{"全部服務", "All services"}, {}};
    for (int i = 0; i < 5; ++i)
      all.values.push_back(
          static_cast<double>(i < r.total().ratings_size() ? r.total().ratings(i) : 0));
    rating_chart.series.push_back(std::move(all));

    return Add(std::move(services)) + RenderBars(wait_chart, lang_) + Add(std::move(buckets)) +
           RenderBars(rating_chart, lang_) + Add(std::move(ratings));
  }

  std::string CaseSection() {
    const auto& r = in_.whole.cases;
    Table types{"cases_by_type",
                {"各類案件如期完成情形", "Cases closed on time per type"},
                {{"類別", "Type"},
                 {"名稱", "Name"},
                 {"結案", "Closed"},
                 {"如期完成", "On time"},
                 {"如期完成率", "Share on time"},
                 {"處理工時中位數 (時)", "Median working hours"},
                 {"處理工時 P90 (時)", "P90 working hours"},
                 {"延長處理", "Delays declared"},
                 {"目前未結", "Open now"},
                 {"目前逾期", "Breached now"}},
                {false, false, true, true, true, true, true, true, true, true},
                {}};
    Table targets{"case_targets",
                  {"各時限目標達成", "Each time target"},
                  {{"類別", "Type"},
                   {"時限目標", "Target"},
                   {"結案", "Closed"},
                   {"達成", "Met"},
                   {"達成率", "Share met"}},
                  {false, false, true, true, true},
                  {}};
    Table complaints{"complaints_first_reply",
                     {"陳情 72 小時內回覆", "Complaints answered within 72 h"},
                     {{"類別", "Type"},
                      {"結案", "Closed"},
                      {"72 小時內回覆", "Answered in 72 h"},
                      {"比率", "Share"}},
                     {false, true, true, true},
                     {}};
    Chart chart{"chart-cases", {"各類案件如期完成率", "Share of cases closed on time"}};
    chart.percent = true;
    Series on_time{{"如期完成率", "Closed on time"}, {}};
    for (const auto& t : r.types()) {
      types.rows.push_back({t.type_code(), t.name_zh_tw(), Int(t.closed()),
                            Int(t.closed_within_sla()), Percent(t.share_within_sla()),
                            Hours(t.median_resolution_business_seconds()),
                            Hours(t.p90_resolution_business_seconds()), Int(t.delays_declared()),
                            Int(t.open()), Int(t.open_breached())});
      for (const auto& target : t.targets()) {
        targets.rows.push_back({t.type_code(), target.name(), Int(t.closed()), Int(target.met()),
                                Percent(Share(target.met(), t.closed()))});
        if (target.name() == kFirstReply)
          complaints.rows.push_back({t.type_code(), Int(t.closed()), Int(target.met()),
                                     Percent(Share(target.met(), t.closed()))});
      }
      chart.categories.push_back(lang_ == Lang::kZhTw && !t.name_zh_tw().empty() ? t.name_zh_tw()
                                                                                 : t.type_code());
      on_time.values.push_back(t.share_within_sla());
    }
    chart.series.push_back(std::move(on_time));

    Table delays{"case_delays",
                 {"延長處理案件及原因", "Delays declared, with reasons"},
                 {{"受理編號", "Acceptance number"},
                  {"類別", "Type"},
                  {"服務所", "Branch"},
                  {"通知時間", "Declared at"},
                  {"原因", "Reason"},
                  {"新預定完成日", "New expected date"}},
                 {false, false, false, false, false, false},
                 {}};
    for (const auto& d : r.delays())
      delays.rows.push_back(
          {d.acceptance_number(), d.type_code(), d.branch_id(),
           absl::FormatTime("%Y-%m-%d %H:%M",
                            absl::FromUnixMillis(ToUnixMillis(FromProtoTimestamp(d.declared_at()))),
                            in_.zone),
           d.reason(), d.new_expected_date()});
    std::string note;
    if (r.delays_truncated())
      note =
          "<p class=\"note\">" +
          Bi({"延長處理案件過多，僅列前 10,000 筆。", "Only the first 10,000 delays are listed."}) +
          "</p>\n";
    return Add(std::move(types)) + RenderBars(chart, lang_) + Add(std::move(targets)) +
           Add(std::move(complaints)) + Add(std::move(delays)) + note;
  }

  std::string NoticeSection() {
    const auto& r = in_.whole.notify;
    Table channels{"notify_channels",
                   {"各通路送達情形", "Deliveries per channel"},
                   {{"通路", "Channel"},
                    {"投遞", "Deliveries"},
                    {"業者受理", "Taken by provider"},
                    {"確認送達", "Receipt confirmed"},
                    {"失敗", "Failed"},
                    {"免送 (前一通路已達)", "Not needed"},
                    {"處理中", "In progress"},
                    {"送達率", "Share reached"},
                    {"受理時間中位數 (秒)", "Median latency (s)"},
                    {"受理時間 P95 (秒)", "P95 latency (s)"}},
                   {false, true, true, true, true, true, true, true, true, true},
                   {}};
    Chart chart{"chart-notices", {"各通路送達率", "Share of notices reached per channel"}};
    chart.percent = true;
    Series reached{{"送達率", "Reached"}, {}};
    for (const auto& c : r.channels()) {
      const Text name = ChannelText(c.channel());
      channels.rows.push_back({T(name), Int(c.deliveries()), Int(c.taken()), Int(c.delivered()),
                               Int(c.failed()), Int(c.cancelled()), Int(c.in_progress()),
                               Percent(c.share_reached()), Fixed(c.median_latency_seconds(), 1),
                               Fixed(c.p95_latency_seconds(), 1)});
      chart.categories.push_back(T(name));
      reached.values.push_back(c.share_reached());
    }
    chart.series.push_back(std::move(reached));
    Table kinds{"notify_kinds",
                {"各類通知件數", "Notifications per kind"},
                {{"類別", "Kind"}, {"件數", "Notifications"}},
                {false, true},
                {}};
    for (const auto& k : r.kinds()) kinds.rows.push_back({k.kind(), Int(k.notifications())});
    const std::string note =
        "<p class=\"note\">" +
        Bi({"通知不分服務所統計；電子郵件與明信片無送達回執，業者受理即視為送達。",
            "Notices are counted for every branch; e-mail and postcards have no receipts, so a "
            "provider's acceptance counts as reached."}) +
        "</p>\n";
    return note + Add(std::move(channels)) + RenderBars(chart, lang_) + Add(std::move(kinds));
  }

  std::string TrendSection() {
    Table trend{"trend_monthly",
                {"逐月趨勢", "Month by month"},
                {{"月份", "Month"},
                 {"取號", "Issued"},
                 {"服務人次", "Served"},
                 {"等候未逾目標比率", "Share within target wait"},
                 {"過號未到", "No-shows"},
                 {"平均滿意度", "Mean rating"},
                 {"結案", "Cases closed"},
                 {"如期完成率", "Share on time"},
                 {"陳情 72 小時內回覆率", "Complaints answered in 72 h"},
                 {"通知", "Notifications"},
                 {"送達率", "Share reached"}},
                {false, true, true, true, true, true, true, true, true, true, true},
                {}};
    Chart chart{"chart-trend", {"逐月時效趨勢", "Timeliness by month"}};
    chart.percent = true;
    Series waits{{"等候未逾目標", "Called within target wait"}, {}};
    Series on_time{{"案件如期完成", "Cases closed on time"}, {}};
    Series reached{{"通知送達", "Notices reached"}, {}};
    for (const Slice& m : in_.months) {
      const auto& q = m.queue.total();
      const CaseTotals c = TotalsOf(m.cases);
      const NoticeTotals n = TotalsOf(m.notify);
      trend.rows.push_back(
          {m.period.label, Int(q.issued()), Int(q.completed()), Percent(q.share_within_target()),
           Int(q.no_shows()), Fixed(q.mean_rating(), 2), Int(c.closed),
           Percent(Share(c.within, c.closed)),
           Percent(Share(c.first_reply_met, c.complaints_closed)), Int(m.notify.notifications()),
           Percent(Share(n.reached, n.reached + n.failed))});
      chart.categories.push_back(m.period.label);
      waits.values.push_back(q.share_within_target());
      on_time.values.push_back(Share(c.within, c.closed));
      reached.values.push_back(Share(n.reached, n.reached + n.failed));
    }
    chart.series = {std::move(waits), std::move(on_time), std::move(reached)};
    return RenderLines(chart, lang_) + Add(std::move(trend));
  }

  std::string Page(const std::string& body) const {
    const Text title{"服務時效自行考核報告", "Service timeliness self-assessment"};
    const std::string branch = in_.branch.empty() ? T({"全部服務所", "every branch"}) : in_.branch;
    const std::string generated = absl::FormatTime(
        "%Y-%m-%d %H:%M %Z", absl::FromUnixMillis(ToUnixMillis(in_.generated_at)), in_.zone);
    std::string nav = "<nav aria-label=\"" + EscapeHtml(T({"目錄", "Contents"})) + "\"><ul>";
    nav += "<li><a href=\"#summary\">" + EscapeHtml(T({"重點指標", "Key figures"})) + "</a></li>";
    for (const auto& [id, text] : toc_)
      nav += "<li><a href=\"#" + id + "\">" + EscapeHtml(T(text)) + "</a></li>";
    nav += "</ul></nav>\n";
    return std::string("<!DOCTYPE html>\n<html lang=\"") + (lang_ == Lang::kEn ? "en" : "zh-TW") +
           "\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
           "content=\"width=device-width, initial-scale=1\">\n<title>" +
           EscapeHtml(T(title) + " " + in_.whole.period.label) + "</title>\n<style>\n" + kStyle +
           "</style>\n</head>\n<body>\n<header>\n<h1>" + Bi(title) + "</h1>\n<p class=\"meta\">" +
           EscapeHtml(T({"期間", "Period"})) + ": <strong>" + EscapeHtml(in_.whole.period.label) +
           "</strong> · " + EscapeHtml(T({"範圍", "Scope"})) + ": <strong>" + EscapeHtml(branch) +
           "</strong> · " + EscapeHtml(T({"產製時間", "Generated"})) + ": " +
           EscapeHtml(generated) + "</p>\n<p class=\"meta\">" +
           EscapeHtml(T({"資料來源：csops 各服務之報表 API（非 Prometheus）。",
                         "Source: the csops services' report APIs (not Prometheus)."})) +
           "</p>\n</header>\n" + nav + "<main>\n" + body + "</main>\n</body>\n</html>\n";
  }

  static constexpr const char* kStyle =
      "body{font-family:'Noto Sans CJK TC','Noto Sans TC',sans-serif;margin:0 auto;"
      "max-width:1100px;padding:1rem 1.5rem;color:#1a1a1a;background:#fff;line-height:1.5}\n"
      "h1{font-size:1.8rem;margin:.2rem 0}h2{border-bottom:3px solid #0072B2;padding-bottom:.2rem;"
      "margin-top:2.2rem}\n.other{display:block;font-size:.8em;color:#555;font-weight:normal}\n"
      "h1 .other,h2 .other{display:inline;margin-left:.5rem}\n"
      ".meta{color:#333;margin:.2rem 0}nav ul{display:flex;flex-wrap:wrap;gap:1rem;padding:0;"
      "list-style:none}nav a{color:#0050a0}\n"
      ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:.8rem}\n"
      ".card{border:1px solid #bbb;border-radius:6px;padding:.6rem .8rem}.card dt{font-size:.9rem}"
      ".card dd{margin:0;font-size:1.8rem;font-weight:bold;color:#003f6b}\n"
      ".table-wrap{overflow-x:auto;margin:1rem 0}table{border-collapse:collapse;font-size:.9rem}"
      "caption{text-align:left;font-weight:bold;padding:.3rem 0}caption .other{display:inline}\n"
      "th,td{border:1px solid #bbb;padding:.25rem .5rem;vertical-align:top}thead th{background:"
      "#eef3f8}tbody th{text-align:left;font-weight:normal}.num{text-align:right;"
      "font-variant-numeric:tabular-nums}\na.csv{font-weight:normal;font-size:.8rem;margin-left:"
      ".5rem;color:#0050a0}\nfigure.chart{margin:1rem 0}svg.chart{width:100%;max-width:760px;"
      "height:auto}\n.grid{stroke:#ddd}.axis{font-size:12px;fill:#333}.target{stroke:#333;"
      "stroke-dasharray:6 4}.target-label{font-size:12px;fill:#333}\n"
      ".legend{display:flex;flex-wrap:wrap;gap:1rem;list-style:none;padding:0;margin:.3rem 0}"
      ".swatch{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;"
      "vertical-align:middle}\n.chart-title{font-weight:bold}.note{color:#333;font-size:.9rem}\n"
      "@media print{nav{display:none}section{break-inside:avoid-page}}\n";

  const ReportInput& in_;
  const Lang lang_;
  ReportOutput out_;
  std::vector<std::pair<std::string, Text>> toc_;
};

}  // namespace

ReportOutput BuildReport(const ReportInput& in) { return Builder(in).Build(); }

}  // namespace csops::report

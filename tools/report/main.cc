// csops-report: the half-yearly self-assessment report (每半年自行考核) from the csops services'
// report APIs (GetQueueReport, GetSlaReport, GetNotifyReport); never from Prometheus.
//
//   csops-report --from=2026-01-01 --to=2026-06-30 [--branch=ID] [--out=DIR] [--lang=zh-TW|en]
//                [--target=HOST:PORT] [--queue-target=…] [--case-target=…] [--notify-target=…]
//                [--zone=Asia/Taipei] [--deadline=60]
//
// --from and --to are local dates, both included. Writes DIR/index.html (self-contained: inline
// CSS and SVG, no script, nothing fetched) and one CSV per table. Progress goes to stderr, one
// line per month fetched. Exit status: 0 written, 1 a service failed, 2 bad arguments.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "tools/flags/flags.h"
#include "tools/report/fetch.h"
#include "tools/report/period.h"
#include "tools/report/report_builder.h"

namespace {

using namespace csops::report;

struct Options {
  std::string from, to, branch, out, lang = "zh-TW", zone = "Asia/Taipei";
  std::string target = "127.0.0.1:50051", queue_target, case_target, notify_target;
  int deadline = 60;
};

int Usage(const std::string& why) { return csops::flags::UsageError("csops-report", why); }

bool WriteFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app(
      "csops-report: the half-yearly self-assessment report from the csops services' report "
      "APIs.",
      "csops-report");
  csops::flags::UseCsopsConventions(app);
  app.footer(
      "With access control on, set CSOPS_API_KEY (or CSOPS_API_KEY_FILE) to a supervisor's key; "
      "CSOPS_TLS_CA for TLS (see csopsctl --help).\n"
      "Exit codes: 0 written, 1 a service failed, 2 bad arguments.");
  app.add_option("--from", o.from, "first local day YYYY-MM-DD (included)")->required();
  app.add_option("--to", o.to, "last local day YYYY-MM-DD (included)")->required();
  app.add_option("--branch", o.branch, "one branch (default: all)");
  app.add_option("--out", o.out, "output directory (default: csops-report-FROM-TO)");
  app.add_option("--lang", o.lang, "language of the report")
      ->check(CLI::IsMember({"zh-TW", "en"}))
      ->capture_default_str();
  app.add_option("--zone", o.zone, "time zone of the days")->capture_default_str();
  app.add_option("--target", o.target, "csopsd gRPC address of every service")
      ->capture_default_str();
  app.add_option("--queue-target", o.queue_target,
                 "the queue service's address (default --target)");
  app.add_option("--case-target", o.case_target, "the case service's address (default --target)");
  app.add_option("--notify-target", o.notify_target,
                 "the notify service's address (default --target)");
  app.add_option("--deadline", o.deadline, "deadline of each call in seconds")
      ->check(csops::flags::Whole(1))
      ->capture_default_str();
  if (auto rc = csops::flags::Parse(app, argc, argv)) return *rc;
  auto first = ParseDay("--from", o.from);
  if (!first.ok()) return Usage(first.status().message());
  auto last = ParseDay("--to", o.to);
  if (!last.ok()) return Usage(last.status().message());
  ReportInput in;
  if (!absl::LoadTimeZone(o.zone, &in.zone)) return Usage("--zone: unknown time zone " + o.zone);
  auto whole = WholePeriod(*first, *last, in.zone);
  if (!whole.ok()) return Usage(whole.status().message());
  if (o.out.empty()) o.out = "csops-report-" + o.from + "-" + o.to;
  if (mkdir(o.out.c_str(), 0755) != 0 && errno != EEXIST)
    return Usage("--out: cannot create " + o.out + ": " + std::strerror(errno));

  Targets targets{o.queue_target.empty() ? o.target : o.queue_target,
                  o.case_target.empty() ? o.target : o.case_target,
                  o.notify_target.empty() ? o.target : o.notify_target,
                  {}};
  auto client_auth = csops::auth::ClientAuthFromEnvironment();
  if (!client_auth.ok()) return Usage(client_auth.status().message());
  targets.auth = *client_auth;
  ReportClient client(targets, o.branch, std::chrono::seconds(o.deadline));
  in.branch = o.branch;
  in.lang = o.lang == "en" ? Lang::kEn : Lang::kZhTw;
  in.generated_at = csops::RealClock::Get().Now();
  in.whole.period = *whole;
  const auto months = MonthsOf(*first, *last, in.zone);
  std::fprintf(stderr, "csops-report: %s, %zu month(s)\n", whole->label.c_str(), months.size());
  if (auto s = client.Fetch(&in.whole); !s.ok()) {
    std::fprintf(stderr, "csops-report: %s\n", s.ToString().c_str());
    return 1;
  }
  for (std::size_t i = 0; i < months.size(); ++i) {
    Slice m;
    m.period = months[i];
    if (auto s = client.Fetch(&m); !s.ok()) {
      std::fprintf(stderr, "csops-report: %s: %s\n", m.period.label.c_str(), s.ToString().c_str());
      return 1;
    }
    std::fprintf(stderr, "csops-report: [%zu/%zu] %s fetched (%lld tickets, %d case types)\n",
                 i + 1, months.size(), m.period.label.c_str(),
                 static_cast<long long>(m.queue.total().issued()), m.cases.types_size());
    in.months.push_back(std::move(m));
  }
  const ReportOutput out = BuildReport(in);
  for (const Table& t : out.tables)
    if (!WriteFile(o.out + "/" + t.id + ".csv", ToCsv(t, in.lang))) {
      std::fprintf(stderr, "csops-report: cannot write %s/%s.csv\n", o.out.c_str(), t.id.c_str());
      return 1;
    }
  if (!WriteFile(o.out + "/index.html", out.html)) {
    std::fprintf(stderr, "csops-report: cannot write %s/index.html\n", o.out.c_str());
    return 1;
  }
  std::fprintf(stderr, "csops-report: wrote %s/index.html and %zu CSV files\n", o.out.c_str(),
               out.tables.size());
  std::printf("%s/index.html\n", o.out.c_str());
  return 0;
}

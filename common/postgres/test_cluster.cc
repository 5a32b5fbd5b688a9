#include "common/postgres/test_cluster.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "common/postgres/connection.h"

namespace csops::postgres {

namespace {

std::string FindBin() {
  namespace fs = std::filesystem;
  std::string best;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string bin = e.path().string() + "/bin";
    if (fs::exists(bin + "/initdb") && bin > best) best = bin;
  }
  return best;
}

[[noreturn]] void Die(const std::string& what, const std::string& log) {
  std::cerr << "TestCluster: " << what << "\n";
  std::ifstream in(log);
  if (in) std::cerr << "--- server log ---\n" << in.rdbuf() << "\n";
  std::abort();
}

}  // namespace

TestCluster& TestCluster::Shared() {
  static TestCluster cluster;  // stopped and removed by its destructor at exit
  return cluster;
}

TestCluster::TestCluster() {
  bin_ = FindBin();
  if (bin_.empty()) Die("no /usr/lib/postgresql/*/bin/initdb: install the postgresql package", "");
  char tmpl[] = "/tmp/csops-pg-XXXXXX";
  if (!mkdtemp(tmpl)) Die("mkdtemp failed", "");
  dir_ = tmpl;
  data_ = dir_ + "/data";
  log_ = dir_ + "/server.log";
  if (geteuid() == 0) {
    const passwd* pg = getpwnam("postgres");
    if (!pg || chown(dir_.c_str(), pg->pw_uid, pg->pw_gid) != 0)
      Die("cannot hand " + dir_ + " to the postgres user (is the postgresql package installed?)",
          "");
  }
  Run(bin_ + "/initdb -D " + data_ + " -A trust -U postgres -E UTF8 --no-locale --no-sync");
  Start();
}

TestCluster::~TestCluster() {
  if (running_) Run(bin_ + "/pg_ctl -D " + data_ + " -m immediate -w stop");
  running_ = false;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void TestCluster::Run(const std::string& command) const {
  std::string full = (geteuid() == 0 ? "runuser -u postgres -- " : "") + command + " >>" + dir_ +
                     "/commands.log 2>&1";
  if (std::system(full.c_str()) != 0) {
    std::ifstream cmds(dir_ + "/commands.log");
    std::stringstream out;
    out << cmds.rdbuf();
    Die("command failed: " + command + "\n" + out.str(), log_);
  }
}

void TestCluster::Start() {
  // No TCP listener; a small server: the tests run beside a build on two cores.
  Run(bin_ + "/pg_ctl -D " + data_ + " -l " + log_ + " -w -t 60 -o \"-k " + dir_ +
      " -c listen_addresses='' -c max_connections=200 -c shared_buffers=64MB -c fsync=on\" start");
  running_ = true;
}

void TestCluster::Stop() {
  Run(bin_ + "/pg_ctl -D " + data_ + " -m immediate -w stop");
  running_ = false;
}

std::string TestCluster::Dsn(const std::string& db) const {
  return "host=" + dir_ + " user=postgres dbname=" + db;
}

std::string TestCluster::NewDatabase() {
  std::string db;
  {
    std::lock_guard l(mu_);
    db = "t" + std::to_string(++next_db_);
  }
  auto c = Connection::Open(Dsn("postgres"), "test", "public", false);
  if (!c.ok()) Die("cannot connect: " + c.status().ToString(), log_);
  if (Status s = (*c)->Exec("CREATE DATABASE " + db); !s.ok())
    Die("CREATE DATABASE failed: " + s.ToString(), log_);
  return Dsn(db);
}

}  // namespace csops::postgres

// A throwaway PostgreSQL server for tests: initdb into a temporary directory (as the postgres
// user when running as root: initdb refuses root), started by pg_ctl on a Unix socket in that
// directory with no TCP listener, trust authentication, and removed when the process exits.
//
//   auto& pg = TestCluster::Shared();           // started on first use, once per process
//   std::string dsn = pg.NewDatabase();         // an empty database of its own per call
//   pg.Stop(); ... pg.Start();                  // for outage tests (pg_ctl stop -m immediate)
//
// The binaries come from Debian's postgresql package (/usr/lib/postgresql/<major>/bin).
// A failure to start aborts the test binary with the server's log: a test that needs
// PostgreSQL never passes without one.
#pragma once

#include <mutex>
#include <string>

namespace csops::postgres {

class TestCluster {
 public:
  static TestCluster& Shared();
  ~TestCluster();

  // Creates database t<N> and returns its connection string.
  std::string NewDatabase();
  // "host=<socket dir> user=postgres dbname=<db>".
  std::string Dsn(const std::string& db) const;
  // pg_ctl stop -m immediate (a crash, as far as the server's data is concerned).
  void Stop();
  void Start();
  const std::string& dir() const { return dir_; }

 private:
  TestCluster();
  void Run(const std::string& command) const;

  std::string bin_, dir_, data_, log_;
  std::mutex mu_;
  int next_db_ = 0;  // guarded by mu_
  bool running_ = false;
};

}  // namespace csops::postgres

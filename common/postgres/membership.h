// Which csopsd replicas share one PostgreSQL database, as each of them sees it: every replica
// keeps a row of csops_cluster.replicas (id, host, version, targets, started, last heartbeat)
// up to date, and lists the others from the same table. csopsctl info shows the list;
// csops_cluster_replicas{state="live"|"silent"} counts it for the alert CsopsReplicaSilent.
//
// Contract.
// - Join registers the replica (replacing the row a previous run of the same id left) and
//   starts a thread that refreshes heartbeat_at every `heartbeat`. Ages are measured on the
//   database server's clock, so the replicas' own clocks do not matter.
// - A replica whose heartbeat is older than five heartbeats is "silent": killed, frozen or cut
//   off from the database. Its row stays (so the silence is seen) until it comes back, leaves,
//   or has been silent for an hour, when any live replica removes it (a pod replaced under
//   another name never comes back; a machine that stays down is csopsd's scrape alert's).
// - Leave (and the destructor) stops the thread and deletes the row: a replica stopped on
//   purpose is not reported as silent.
// - A heartbeat that fails (the database away) is logged once per outage and retried at the
//   next tick; the metrics keep the last list read.
// Thread safety: every public method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/base/status.h"
#include "common/postgres/database.h"

namespace prometheus {
class Gauge;
class Registry;
}  // namespace prometheus

namespace csops::postgres {

struct ReplicaIdentity {
  std::string id;       // server.replica_id (or its default)
  std::string host;     // the machine's host name
  std::string version;  // csops version, e.g. "0.1.0"
  std::string targets;  // e.g. "queue,case,notify"
};

struct ReplicaRecord {
  ReplicaIdentity identity;
  std::int64_t started_at_ms = 0;    // Unix milliseconds, server clock
  std::int64_t heartbeat_at_ms = 0;  // Unix milliseconds, server clock
  double silent_seconds = 0;         // since the last heartbeat
  bool live = false;                 // silent_seconds below five heartbeats
};

struct MembershipOptions {
  DatabaseOptions database;  // dsn, connect timeout; name and schema are set by Join
  ReplicaIdentity self;
  std::chrono::milliseconds heartbeat{2000};
  prometheus::Registry* registry = nullptr;  // optional: csops_cluster_replicas
};

class Membership {
 public:
  // Opens the csops_cluster schema (migrating it), registers `self` and starts the heartbeat.
  static Result<std::unique_ptr<Membership>> Join(MembershipOptions options);
  ~Membership();  // Leave()
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Every registered replica, this one included, ordered by id.
  Result<std::vector<ReplicaRecord>> List();
  // Stops the heartbeat and deletes this replica's row. Idempotent.
  void Leave();
  const ReplicaIdentity& self() const { return options_.self; }

 private:
  explicit Membership(MembershipOptions options);
  Status Beat();
  void Loop();

  MembershipOptions options_;
  std::unique_ptr<Database> db_;
  prometheus::Gauge* live_ = nullptr;
  prometheus::Gauge* silent_ = nullptr;
  std::mutex mu_;
  std::condition_variable cv_;
  bool leaving_ = false;  // guarded by mu_
  bool left_ = false;     // guarded by mu_
  std::thread thread_;
};

// The default replica id: "<host name>:<absolute data directory>".
std::string DefaultReplicaId(const std::string& host, const std::string& data_dir);
// This machine's host name ("localhost" if it has none).
std::string HostName();

}  // namespace csops::postgres

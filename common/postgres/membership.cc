#include "common/postgres/membership.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>

#include "common/base/log.h"

namespace csops::postgres {
namespace {

constexpr int kSilentAfterBeats = 5;

std::vector<Migration> ClusterMigrations() {
  return {{1, "replicas: who shares this database, and when each last said it was alive",
           R"sql(
CREATE TABLE replicas (
  id TEXT PRIMARY KEY,
  host TEXT NOT NULL,
  version TEXT NOT NULL,
  targets TEXT NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  heartbeat_at TIMESTAMPTZ NOT NULL
);
)sql"}};
}

}  // namespace

std::string HostName() {
  char buf[HOST_NAME_MAX + 1] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string DefaultReplicaId(const std::string& host, const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(data_dir, ec);
  std::string dir = ec ? data_dir : abs.lexically_normal().string();
  if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  std::string id = host + ":" + dir;
  // server.replica_id's alphabet; anything else in a host name or path becomes '_'.
  for (char& ch : id)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == ':' ||
          ch == '/' || ch == '-'))
      ch = '_';
  if (id.size() > 64) id = id.substr(id.size() - 64);  // the path's end tells replicas apart
  return id;
}

Membership::Membership(MembershipOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<Membership>> Membership::Join(MembershipOptions options) {
  options.database.name = "cluster";
  options.database.schema = "csops_cluster";
  options.database.pool_size = 2;
  options.database.max_batch = 1;
  options.database.migrations = ClusterMigrations();
  options.database.registry = nullptr;  // the services' stores carry csops_store_* already
  std::unique_ptr<Membership> m(new Membership(std::move(options)));
  auto db = Database::Open(m->options_.database);
  if (!db.ok()) return db.status();
  m->db_ = std::move(*db);
  const ReplicaIdentity& self = m->options_.self;
  Status joined = m->db_->Write([&self](Connection& c) {
    return c
        .Run(
            "INSERT INTO replicas(id, host, version, targets, started_at, heartbeat_at) "
            "VALUES($1, $2, $3, $4, now(), now()) ON CONFLICT (id) DO UPDATE SET "
            "host = EXCLUDED.host, version = EXCLUDED.version, targets = EXCLUDED.targets, "
            "started_at = now(), heartbeat_at = now()",
            {self.id, self.host, self.version, self.targets})
        .status();
  });
  if (!joined.ok()) return joined.WithContext("joining the replicas");
  if (m->options_.registry) {
    auto& family = prometheus::BuildGauge()
                       .Name("csops_cluster_replicas")
                       .Help(
                           "Replicas registered on this PostgreSQL database, as this replica "
                           "last read them: live, or silent for five heartbeats or more")
                       .Register(*m->options_.registry);
    m->live_ = &family.Add({{"state", "live"}});
    m->silent_ = &family.Add({{"state", "silent"}});
  }
  CSOPS_LOG(kInfo, "cluster_joined").Kv("replica", self.id).Kv("version", self.version);
  m->thread_ = std::thread([p = m.get()] { p->Loop(); });
  return m;
}

Membership::~Membership() { Leave(); }

Status Membership::Beat() {
  const ReplicaIdentity& self = options_.self;
  return db_->Write([&self](Connection& c) {
    // An upsert: the row may have been removed while this replica was cut off for an hour.
    auto beat = c.Run(
        "INSERT INTO replicas(id, host, version, targets, started_at, heartbeat_at) "
        "VALUES($1, $2, $3, $4, now(), now()) ON CONFLICT (id) DO UPDATE SET "
        "heartbeat_at = now()",
        {self.id, self.host, self.version, self.targets});
    if (!beat.ok()) return beat.status();
    return c.Run("DELETE FROM replicas WHERE heartbeat_at < now() - interval '1 hour'").status();
  });
}

Result<std::vector<ReplicaRecord>> Membership::List() {
  std::vector<ReplicaRecord> out;
  const double silent_after =
      kSilentAfterBeats * std::chrono::duration<double>(options_.heartbeat).count();
  Status s = db_->Read([&out, silent_after](Connection& c) {
    auto rows = c.Query(
        "SELECT id, host, version, targets, "
        "(extract(epoch FROM started_at) * 1000)::bigint, "
        "(extract(epoch FROM heartbeat_at) * 1000)::bigint, "
        "extract(epoch FROM clock_timestamp() - heartbeat_at)::float8 "
        "FROM replicas ORDER BY id");
    if (!rows.ok()) return rows.status();
    for (int i = 0; i < rows->size(); ++i) {
      ReplicaRecord r;
      r.identity = {rows->Text(i, 0), rows->Text(i, 1), rows->Text(i, 2), rows->Text(i, 3)};
      r.started_at_ms = rows->Int(i, 4);
      r.heartbeat_at_ms = rows->Int(i, 5);
      r.silent_seconds = std::max(0.0, rows->Real(i, 6));
      r.live = r.silent_seconds < silent_after;
      out.push_back(std::move(r));
    }
    return Status();
  });
  if (!s.ok()) return s;
  return out;
}

void Membership::Loop() {
  bool failing = false;
  Status beat;  // Join has just written the first heartbeat
  for (;;) {
    Result<std::vector<ReplicaRecord>> all =
        beat.ok() ? List() : Result<std::vector<ReplicaRecord>>(beat);
    if (!all.ok()) {
      if (!failing)
        CSOPS_LOG(kWarning, "cluster_heartbeat_failed")
            .Kv("replica", options_.self.id)
            .Kv("error", all.status().ToString());
      failing = true;
    } else {
      if (failing) CSOPS_LOG(kInfo, "cluster_heartbeat_resumed").Kv("replica", options_.self.id);
      failing = false;
      if (live_) {
        int live = 0;
        for (const ReplicaRecord& r : *all) live += r.live ? 1 : 0;
        live_->Set(live);
        silent_->Set(static_cast<double>(all->size()) - live);
      }
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, options_.heartbeat, [this] { return leaving_; })) return;
    }
    beat = Beat();
  }
}

void Membership::Leave() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (left_) return;
    left_ = true;
    leaving_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!db_) return;
  const std::string id = options_.self.id;
  Status s = db_->Write(
      [&id](Connection& c) { return c.Run("DELETE FROM replicas WHERE id = $1", {id}).status(); });
  if (!s.ok())
    CSOPS_LOG(kWarning, "cluster_leave_failed").Kv("replica", id).Kv("error", s.ToString());
  else
    CSOPS_LOG(kInfo, "cluster_left").Kv("replica", id);
  db_->Close();
}

}  // namespace csops::postgres

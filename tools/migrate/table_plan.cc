#include "tools/migrate/table_plan.h"

#include <algorithm>
#include <map>
#include <set>

namespace csops::migrate {
namespace {

struct PgColumn {
  std::string name, type;
  bool has_default = false, identity = false, generated = false, serial = false;
};

bool IsBookkeeping(const std::string& pg_table) { return pg_table.rfind("csops_", 0) == 0; }

Result<std::vector<std::string>> SqliteTables(sqlite::Connection& lite) {
  auto st = lite.Prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
      "ESCAPE '\\' ORDER BY name");
  if (!st.ok()) return st.status();
  std::vector<std::string> names;
  for (;;) {
    auto more = st->Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    names.push_back(st->ColumnText(0));
  }
  return names;
}

Result<std::set<std::string>> SqliteColumns(sqlite::Connection& lite, const std::string& table) {
  auto st = lite.Prepare("SELECT name FROM pragma_table_info(?1)");
  if (!st.ok()) return st.status();
  st->Bind(1, table);
  std::set<std::string> names;
  for (;;) {
    auto more = st->Step();
    if (!more.ok()) return more.status();
    if (!*more) break;
    names.insert(st->ColumnText(0));
  }
  return names;
}

// Parents before children; ties by name, so the order is the same on every run.
Result<std::vector<std::string>> ParentsFirst(
    const std::vector<std::string>& tables,
    const std::multimap<std::string, std::string>& parents_of, const std::string& schema) {
  std::map<std::string, std::set<std::string>> waiting;  // table -> parents not placed yet
  for (const auto& t : tables) waiting[t];
  for (const auto& [child, parent] : parents_of)
    if (child != parent && waiting.count(child) && waiting.count(parent))
      waiting[child].insert(parent);
  std::vector<std::string> order;
  while (!waiting.empty()) {
    auto ready = std::find_if(waiting.begin(), waiting.end(),
                              [](const auto& w) { return w.second.empty(); });
    if (ready == waiting.end()) {
      std::string names;
      for (const auto& w : waiting) names += (names.empty() ? "" : ", ") + w.first;
      return Status::FailedPrecondition("schema " + schema + ": the foreign keys of " + names +
                                        " form a cycle; no copy order satisfies them");
    }
    const std::string placed = ready->first;
    order.push_back(placed);
    waiting.erase(ready);
    for (auto& w : waiting) w.second.erase(placed);
  }
  return order;
}

}  // namespace

std::string QuoteIdent(const std::string& name) {
  std::string q = "\"";
  for (char c : name) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

std::string ColumnList(const TablePlan& table) {
  std::string list;
  for (const auto& c : table.columns) list += (list.empty() ? "" : ", ") + QuoteIdent(c.name);
  return list;
}

Result<std::vector<std::string>> SchemaTables(postgres::Connection& pg, const std::string& schema) {
  auto r = pg.Query(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
      "AND table_type = 'BASE TABLE' ORDER BY table_name",
      {schema});
  if (!r.ok()) return r.status();
  std::vector<std::string> names;
  for (int i = 0; i < r->size(); ++i)
    if (!IsBookkeeping(r->Text(i, 0))) names.push_back(r->Text(i, 0));
  return names;
}

Result<std::vector<TablePlan>> PlanTables(postgres::Connection& pg, const std::string& schema,
                                          sqlite::Connection& lite, const std::string& service) {
  const std::string file = service + ".db";
  auto tables = SchemaTables(pg, schema);
  if (!tables.ok()) return tables.status();
  if (tables->empty())
    return Status::FailedPrecondition("PostgreSQL schema " + schema +
                                      " has no tables: its migrations did not run");
  auto cols = pg.Query(
      "SELECT table_name, column_name, data_type, column_default IS NOT NULL, "
      "is_identity = 'YES', is_generated <> 'NEVER', "
      "COALESCE(column_default LIKE 'nextval(%', false) "
      "FROM information_schema.columns WHERE table_schema = $1 "
      "ORDER BY table_name, ordinal_position",
      {schema});
  if (!cols.ok()) return cols.status();
  std::map<std::string, std::vector<PgColumn>> pg_columns;
  for (int i = 0; i < cols->size(); ++i)
    pg_columns[cols->Text(i, 0)].push_back({cols->Text(i, 1), cols->Text(i, 2),
                                            cols->Text(i, 3) == "t", cols->Text(i, 4) == "t",
                                            cols->Text(i, 5) == "t", cols->Text(i, 6) == "t"});
  auto fks = pg.Query(
      "SELECT child.relname, parent.relname FROM pg_constraint c "
      "JOIN pg_class child ON child.oid = c.conrelid "
      "JOIN pg_class parent ON parent.oid = c.confrelid "
      "JOIN pg_namespace n ON n.oid = c.connamespace "
      "WHERE c.contype = 'f' AND n.nspname = $1",
      {schema});
  if (!fks.ok()) return fks.status();
  std::multimap<std::string, std::string> parents_of;
  for (int i = 0; i < fks->size(); ++i) parents_of.emplace(fks->Text(i, 0), fks->Text(i, 1));

  auto lite_tables = SqliteTables(lite);
  if (!lite_tables.ok()) return lite_tables.status();
  const std::set<std::string> in_pg(tables->begin(), tables->end());
  const std::set<std::string> in_lite(lite_tables->begin(), lite_tables->end());
  for (const auto& t : in_lite)
    if (!in_pg.count(t))
      return Status::FailedPrecondition(file + ": table " + t +
                                        " has no table of that name in PostgreSQL schema " +
                                        schema + "; nothing would receive its rows");

  auto order = ParentsFirst(*tables, parents_of, schema);
  if (!order.ok()) return order.status();
  std::vector<TablePlan> plans;
  for (const auto& name : *order) {
    TablePlan plan;
    plan.name = name;
    plan.from_sqlite = in_lite.count(name) > 0;
    std::set<std::string> lite_cols;
    if (plan.from_sqlite) {
      auto c = SqliteColumns(lite, name);
      if (!c.ok()) return c.status();
      lite_cols = std::move(*c);
    }
    std::set<std::string> pg_names;
    for (const auto& c : pg_columns[name]) {
      pg_names.insert(c.name);
      if (c.generated) continue;  // PostgreSQL computes it
      if (!lite_cols.count(c.name)) {
        if (plan.from_sqlite && !c.has_default && !c.identity)
          return Status::FailedPrecondition(schema + "." + name + "." + c.name + " (" + c.type +
                                            "): no such column in " + file + " table " + name +
                                            ", and PostgreSQL has no default to fill it with");
        plan.filled.push_back(c.name);
        continue;
      }
      plan.columns.push_back({c.name, c.type, KindOfPgType(c.type), c.identity || c.serial});
    }
    for (const auto& c : lite_cols)
      if (!pg_names.count(c))
        return Status::FailedPrecondition(file + " " + name + "." + c +
                                          ": no such column in PostgreSQL table " + schema + "." +
                                          name + "; its values would be lost");
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace csops::migrate

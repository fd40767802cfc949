// Shadow tables and the swap. DDL cannot take parameters, so statements are
// composed with format('%I', ...) from names found in the catalog (tables
// named by projections in code, their policies, roles and views), never from
// input.
#include "consumers/rebuild/shadow.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace lf::rebuild {

namespace {

std::string quoted(const std::string& identifier) {
  std::string out = "\"";
  for (const char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string shadow_of(const std::string& table) {
  return table + kShadowSuffix;
}
std::string retired_of(const std::string& table) {
  return table + "__retired";
}

// The tables as a text[] parameter.
std::string text_array(const std::vector<std::string>& names) {
  std::string out = "{";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (const char c : names[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

void exec_all(pqxx::work& work, const std::vector<std::string>& statements) {
  for (const std::string& statement : statements) work.exec(statement);
}

// Foreign keys of `tables`, as ALTER TABLE statements for their shadows: a
// reference to another rebuilt table points at its shadow.
std::vector<std::string> shadow_foreign_keys(pqxx::work& work,
                                             const std::vector<std::string>& tables) {
  const std::set<std::string> rebuilt(tables.begin(), tables.end());
  std::vector<std::string> statements;
  const pqxx::result keys = work.exec_params(
      "SELECT c.conname, src.relname, ref.relname, pg_get_constraintdef(c.oid) "
      "FROM pg_constraint c JOIN pg_class src ON src.oid = c.conrelid JOIN pg_class ref ON ref.oid "
      "= c.confrelid "
      "WHERE c.contype = 'f' AND (src.relname = ANY($1::text[]) OR ref.relname = ANY($1::text[])) "
      "AND src.relnamespace = 'public'::regnamespace",
      text_array(tables));
  for (const pqxx::row& key : keys) {
    const std::string name = key[0].as<std::string>();
    const std::string from = key[1].as<std::string>();
    const std::string to = key[2].as<std::string>();
    std::string definition = key[3].as<std::string>();
    if (rebuilt.count(from) == 0) {
      throw std::runtime_error("table " + from + " has a foreign key into " + to +
                               ", which this rebuild replaces; rebuild them together");
    }
    if (rebuilt.count(to) != 0) {
      const std::string live = "REFERENCES " + to + "(";
      const std::size_t at = definition.find(live);
      if (at == std::string::npos)
        throw std::runtime_error("cannot read the foreign key " + name + ": " + definition);
      definition.replace(at, live.size(), "REFERENCES " + quoted(shadow_of(to)) + "(");
    }
    statements.push_back("ALTER TABLE " + quoted(shadow_of(from)) + " ADD CONSTRAINT " +
                         quoted(name) + " " + definition);
  }
  return statements;
}

// What LIKE does not copy, as statements on the shadow of `table`.
std::vector<std::string> carried_over(pqxx::work& work, const std::string& table) {
  std::vector<std::string> statements;
  const std::string shadow = shadow_of(table);
  const pqxx::row flags = work.exec_params1(
      "SELECT c.relrowsecurity, c.relforcerowsecurity, pg_get_userbyid(c.relowner), "
      "pg_get_userbyid(s.relowner), obj_description(c.oid, 'pg_class') "
      "FROM pg_class c, pg_class s WHERE c.oid = $1::regclass AND s.oid = $2::regclass",
      quoted(table), quoted(shadow));
  if (flags[0].as<bool>())
    statements.push_back("ALTER TABLE " + quoted(shadow) + " ENABLE ROW LEVEL SECURITY");
  if (flags[1].as<bool>())
    statements.push_back("ALTER TABLE " + quoted(shadow) + " FORCE ROW LEVEL SECURITY");
  if (flags[2].as<std::string>() != flags[3].as<std::string>()) {
    statements.push_back("ALTER TABLE " + quoted(shadow) + " OWNER TO " +
                         quoted(flags[2].as<std::string>()));
  }
  if (!flags[4].is_null()) {
    statements.push_back(
        work.exec_params1("SELECT format('COMMENT ON TABLE %I IS %L', $1::text, $2::text)", shadow,
                          flags[4].as<std::string>())[0]
            .as<std::string>());
  }
  for (const pqxx::row& policy : work.exec_params(
           "SELECT format('CREATE POLICY %I ON %I AS %s FOR %s TO %s%s%s', p.polname, $2::text, "
           "CASE WHEN p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END, "
           "CASE p.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' "
           "WHEN 'd' THEN 'DELETE' ELSE 'ALL' END, "
           "(SELECT string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) "
           "END, ', ') "
           " FROM unnest(p.polroles) AS r), "
           "' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', "
           "' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')') "
           "FROM pg_policy p WHERE p.polrelid = $1::regclass ORDER BY p.polname",
           quoted(table), shadow)) {
    statements.push_back(policy[0].as<std::string>());
  }
  for (const pqxx::row& grant :
       work.exec_params("SELECT format('GRANT %s ON %I TO %s%s', a.privilege_type, $2::text, "
                        "CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE "
                        "quote_ident(pg_get_userbyid(a.grantee)) END, "
                        "CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END) "
                        "FROM pg_class c, aclexplode(c.relacl) AS a "
                        "WHERE c.oid = $1::regclass AND a.grantee <> c.relowner ORDER BY 1",
                        quoted(table), shadow)) {
    statements.push_back(grant[0].as<std::string>());
  }
  return statements;
}

// The views reading any of `tables`, each with a CREATE OR REPLACE
// statement that resolves the table names again (run after the renames).
struct DependentView {
  std::string name;
  std::string statement;
};

std::vector<DependentView> dependent_views(pqxx::work& work,
                                           const std::vector<std::string>& tables) {
  std::vector<DependentView> views;
  for (const pqxx::row& view : work.exec_params(
           "SELECT DISTINCT v.relname, v.relkind, pg_get_viewdef(v.oid), "
           "coalesce(array_to_string(v.reloptions, ', '), '') "
           "FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = "
           "r.ev_class "
           "JOIN pg_class t ON t.oid = d.refobjid "
           "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass "
           "AND t.relname = ANY($1::text[]) AND t.relnamespace = 'public'::regnamespace AND v.oid "
           "<> t.oid "
           "ORDER BY v.relname",
           text_array(tables))) {
    const std::string name = view[0].as<std::string>();
    if (view[1].as<std::string>() != "v") {
      throw std::runtime_error(
          name + " depends on a rebuilt table and is not a plain view; drop it first");
    }
    const std::string options = view[3].as<std::string>();
    views.push_back({name, "CREATE OR REPLACE VIEW " + quoted(name) +
                               (options.empty() ? "" : " WITH (" + options + ")") + " AS " +
                               view[2].as<std::string>()});
  }
  return views;
}

// Index definitions without their names and tables, to pair an old index
// with its copy.
std::map<std::string, std::string> indexes_by_shape(pqxx::work& work, const std::string& table) {
  std::map<std::string, std::string> shapes;
  for (const pqxx::row& index :
       work.exec_params("SELECT c.relname, regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE "
                        "(UNIQUE )?INDEX \\S+ ON \\S+ ', "
                        "'\\1') FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE "
                        "i.indrelid = $1::regclass",
                        quoted(table))) {
    shapes.emplace(index[1].as<std::string>(), index[0].as<std::string>());
  }
  return shapes;
}

// The shadow of a partition `child` of `table`: the shadow's name in its
// place (llm_calls_p202604 -> llm_calls__shadow_p202604), else child__shadow.
std::string shadow_partition_of(const std::string& table, const std::string& child) {
  if (child.compare(0, table.size(), table) == 0)
    return shadow_of(table) + child.substr(table.size());
  return child + kShadowSuffix;
}

// A partitioned table's shadow: LIKE copies neither the partitioning nor
// the partitions, so the shadow is partitioned by the same key and given an
// empty partition for each of the table's (same bounds, the DEFAULT one
// included); partitions added while rows are written (monthly ones) are the
// writer's business.
void create_partitioned_shadow(pqxx::work& work, const std::string& table, const std::string& key) {
  const std::string shadow = shadow_of(table);
  work.exec("CREATE TABLE " + quoted(shadow) + " (LIKE " + quoted(table) +
            " INCLUDING ALL) PARTITION BY " + key);
  for (const pqxx::row& child :
       work.exec_params("SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
                        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass "
                        "ORDER BY c.relname",
                        quoted(table))) {
    work.exec("CREATE TABLE " + quoted(shadow_partition_of(table, child[0].as<std::string>())) +
              " PARTITION OF " + quoted(shadow) + " " + child[1].as<std::string>());
  }
}

// After the swap, the partitions of `table` (the shadow until now) and
// their indexes take the names the retired table's had (the shadow's name
// in them replaced by the table's).
void rename_partitions(pqxx::work& work, const std::string& table) {
  const std::string shadow_prefix = shadow_of(table);
  for (const pqxx::row& relation : work.exec_params(
           "SELECT c.relname, c.relkind = 'i' FROM pg_inherits i JOIN pg_class c ON c.oid = "
           "i.inhrelid "
           "WHERE i.inhparent = $1::regclass "
           "UNION ALL SELECT x.relname, true FROM pg_inherits i JOIN pg_index ix ON ix.indrelid = "
           "i.inhrelid "
           "JOIN pg_class x ON x.oid = ix.indexrelid WHERE i.inhparent = $1::regclass ORDER BY 1",
           quoted(table))) {
    const std::string name = relation[0].as<std::string>();
    if (name.compare(0, shadow_prefix.size(), shadow_prefix) != 0) continue;
    work.exec(std::string(relation[1].as<bool>() ? "ALTER INDEX " : "ALTER TABLE ") + quoted(name) +
              " RENAME TO " + quoted(table + name.substr(shadow_prefix.size())));
  }
}

}  // namespace

void drop_shadow_tables(pqxx::work& work, const std::vector<std::string>& tables) {
  std::string list;
  for (const std::string& table : tables)
    list += (list.empty() ? "" : ", ") + quoted(shadow_of(table));
  work.exec("DROP TABLE IF EXISTS " + list);
}

void create_shadow_tables(pqxx::work& work, const std::vector<std::string>& tables) {
  drop_shadow_tables(work, tables);
  for (const std::string& table : tables) {
    const pqxx::row kind = work.exec_params1(
        "SELECT c.relkind = 'p', coalesce(pg_get_partkeydef(c.oid), '') FROM pg_class c WHERE "
        "c.oid = $1::regclass",
        quoted(table));
    if (kind[0].as<bool>()) {
      create_partitioned_shadow(work, table, kind[1].as<std::string>());
      continue;
    }
    work.exec("CREATE TABLE " + quoted(shadow_of(table)) + " (LIKE " + quoted(table) +
              " INCLUDING ALL)");
  }
  exec_all(work, shadow_foreign_keys(work, tables));
}

void lock_tables(pqxx::work& work, const std::vector<std::string>& tables, int lock_timeout_ms) {
  // The views first: a reader of a view locks the view before its tables.
  std::string list;
  int contended = 0;
  for (const DependentView& view : dependent_views(work, tables)) {
    list += (list.empty() ? "" : ", ") + quoted(view.name);
    ++contended;
  }
  for (const std::string& table : tables) {
    list += (list.empty() ? "" : ", ") + quoted(table) + ", " + quoted(shadow_of(table));
    ++contended;  // nobody but the rebuild touches a shadow
  }
  const int deadlock_timeout_ms =
      work.exec1("SELECT setting::int FROM pg_settings WHERE name = 'deadlock_timeout'")[0]
          .as<int>();
  const int budget_ms = std::max(2, std::min(lock_timeout_ms, deadlock_timeout_ms / 2));
  work.exec("SET LOCAL lock_timeout = " + std::to_string(std::max(1, budget_ms / contended)));
  work.exec("LOCK TABLE " + list + " IN ACCESS EXCLUSIVE MODE");
  work.exec("SET LOCAL lock_timeout = " + std::to_string(lock_timeout_ms));
}

void swap_in(pqxx::work& work, const std::vector<std::string>& tables) {
  // Checks deferred by the rows just written run now: ALTER TABLE refuses a
  // table with pending trigger events.
  work.exec("SET CONSTRAINTS ALL IMMEDIATE");
  // Read everything from the catalog while the names still mean the old tables.
  std::vector<std::string> prepare;
  std::map<std::string, std::map<std::string, std::string>> old_indexes;
  for (const std::string& table : tables) {
    const std::vector<std::string> statements = carried_over(work, table);
    prepare.insert(prepare.end(), statements.begin(), statements.end());
    old_indexes[table] = indexes_by_shape(work, table);
  }
  const std::vector<DependentView> views = dependent_views(work, tables);
  exec_all(work, prepare);

  for (const std::string& table : tables) {
    work.exec("ALTER TABLE " + quoted(table) + " RENAME TO " + quoted(retired_of(table)));
    work.exec("ALTER TABLE " + quoted(shadow_of(table)) + " RENAME TO " + quoted(table));
  }
  for (const DependentView& view : views) work.exec(view.statement);
  std::string retired;
  for (const std::string& table : tables)
    retired += (retired.empty() ? "" : ", ") + quoted(retired_of(table));
  // No CASCADE: anything still depending on an old table fails the swap.
  work.exec("DROP TABLE " + retired);

  for (const std::string& table : tables) {
    rename_partitions(work, table);
    for (const auto& [shape, name] : indexes_by_shape(work, table)) {
      auto old = old_indexes[table].find(shape);
      if (old == old_indexes[table].end() || old->second == name) continue;
      work.exec("ALTER INDEX " + quoted(name) + " RENAME TO " + quoted(old->second));
    }
  }
  spdlog::info("swapped in the rebuilt {} table(s), {} view(s) re-pointed", tables.size(),
               views.size());
}

}  // namespace lf::rebuild

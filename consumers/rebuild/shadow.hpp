// Shadow tables for a rebuild, and the swap that puts them in place. The
// shadow of table T is T__shadow, created LIKE T (columns, defaults, checks,
// keys, indexes) with T's foreign keys among the rebuilt tables; a
// partitioned T's shadow is partitioned by the same key, with an empty
// partition for each of T's (T_p202604 -> T__shadow_p202604, the DEFAULT
// one included). The swap, in the caller's transaction, carries over what
// LIKE does not copy — row security and its policies, grants, owner, the
// table comment — renames the shadow into place, re-points the views that
// read T, drops the old table (its partitions with it), gives the shadow's
// partitions the old partitions' names and the new indexes the old names. Everything is read from
// the catalog: nothing here knows a projection's DDL, and no name comes from input.
#pragma once

#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace lf::rebuild {

inline constexpr const char* kShadowSuffix = "__shadow";

// Drops leftover shadows of `tables` (an interrupted rebuild) and creates
// fresh, empty ones. Throws std::runtime_error if a table outside `tables`
// has a foreign key into one of them (it would have to be rebuilt too).
void create_shadow_tables(pqxx::work& work, const std::vector<std::string>& tables);

void drop_shadow_tables(pqxx::work& work, const std::vector<std::string>& tables);

// Moves every shadow into place in `work`'s transaction; the caller holds
// the locks it needs (see lock_tables) and commits. Readers of T see the old
// rows until the commit and the new rows after it.
void swap_in(pqxx::work& work, const std::vector<std::string>& tables);

// ACCESS EXCLUSIVE on the views reading `tables`, every table and its
// shadow, waiting in all at most min(`lock_timeout_ms`, half the server's
// deadlock_timeout); then pqxx throws and the caller retries the swap.
//
// Why the bound: a reader holding one of the tables may queue for another
// the swap already holds. PostgreSQL checks a waiter for a deadlock once,
// deadlock_timeout after it started waiting, and cancels the waiter that
// finds one; a reader that queued behind this LOCK starts waiting after it
// began, so by the time it checks, the swap holds every lock or has given
// up, and there is no cycle to find. The reader waits; it never fails.
void lock_tables(pqxx::work& work, const std::vector<std::string>& tables, int lock_timeout_ms);

}  // namespace lf::rebuild

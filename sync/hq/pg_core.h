// What HQ's four PostgreSQL implementations (pg_batch_ingest.h, pg_member_pages.h,
// pg_reservations.h, pg_administration.h) share over one connection: the connection, member
// versions, the cached newest rule set, and the reads more than one of them makes (a terminal's
// watermark, a provisional id's HQ id, HQ's member numbering, dropping a hold), as SqliteCore
// does for the SQLite sink. Opening it runs the migrations (pg_schema.h).
//
// Several memberhq nodes share one database, so nothing that must be unique lives in memory:
// member numbers and hold ids come from sequences, and every write transaction is
// SERIALIZABLE (the SQLite sink's single writer, as PostgreSQL gives it): a concurrent writer
// makes it fail "pg_serialization" and the part runs it again (with_retries).
//
// Member versions, and why a page never skips one: a transaction marks each member row it
// changes with version 0 (pending()) and, just before COMMIT, takes the version lock (an
// advisory transaction lock, kVersionLock) and stamps those rows with nextval of the
// member_versions sequence (commit()). The lock is released only after the commit is visible,
// so versions become visible in the order they were taken: a reader never sees version v + 1
// committed while v may still commit, and member_page serves every committed version with no
// horizon to compute. Version 0 is never visible to another transaction. The cost: the
// stamping and COMMIT of writers that change members run one at a time (a few hundred
// microseconds each; nothing else in the transaction waits).
//
// Single-threaded (one connection, the server's io_context thread); one PgCore per node.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "drivers/postgres/connection.h"
#include "pma/error.h"
#include "pma/v1/rules.pb.h"
#include "sync/hq/delta_checks.h"
#include "sync/net/tls.h"

namespace pma::hq {

using net::TerminalIdentity;

// The delta being applied, as far as PgCore::resolve needs it (seq 0: none).
struct PgDeltaAt {
  std::string store_id;
  std::string terminal_id;
  std::uint64_t seq = 0;
};

class PgCore {
 public:
  // The advisory lock keys: member-version stamping, and schema migrations at open.
  static constexpr std::int64_t kVersionLock = 0x504d41'56455253;  // "PMAVERS"
  static constexpr std::int64_t kSchemaLock = 0x504d41'534348;     // "PMASCH"
  // How often a transaction is run again after "pg_serialization" (or a unique key a
  // concurrent transaction took first) before the error is returned.
  static constexpr int kAttempts = 12;

  // Connects and brings the schema to the latest version. Errors: "pg_uri", "pg_connect",
  // "schema_too_new" (a newer memberhq's schema: refused, unchanged), "schema_migration".
  static Result<std::unique_ptr<PgCore>> open(const std::string& uri);

  pg::Connection& db() { return *db_; }

  // A write transaction (SERIALIZABLE); forgets what a failed one had pending.
  Result<pg::Transaction> begin();
  // The version a changed member row takes inside the transaction (0, stamped at commit).
  std::int64_t pending(const std::string& member_id) {
    pending_.insert(member_id);
    return 0;
  }
  // Stamps the pending member rows (under kVersionLock) and commits. Their versions, by
  // member id, are in stamped() afterwards.
  Status commit(pg::Transaction& tx);
  const std::map<std::string, std::uint64_t>& stamped() const { return stamped_; }

  // Runs body (a whole transaction) again while it fails "pg_serialization" or
  // "pg_unique_violation", up to kAttempts times.
  template <typename F>
  auto with_retries(F&& body) -> decltype(body()) {
    for (int attempt = 1;; ++attempt) {
      auto result = body();
      if (result || attempt == kAttempts ||
          (result.error().code != "pg_serialization" &&
           result.error().code != "pg_unique_violation")) {
        return result;
      }
    }
  }

  // The newest rule set and its caps (re-read when another version was published), and the one
  // a checkout names (nullptr: none published), as SqliteCore's.
  Status refresh_rules();
  const pma::v1::RuleSet* newest_rules() const { return rules_ ? &*rules_ : nullptr; }
  const Limits& limits() const { return limits_; }
  Result<const pma::v1::RuleSet*> rules_at(std::int64_t version);

  Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal);
  Result<std::string> resolve(const std::string& member_id, const PgDeltaAt& at = {});
  Result<bool> disputed(const std::string& provisional_id, const std::string& store_id,
                        const std::string& terminal_id, std::uint64_t seq);
  // HQ's next own id H<9 digits> (the member_numbers sequence), never one a member holds.
  Result<std::string> next_member_id();
  Status drop_hold(const TerminalIdentity& terminal, const std::string& txn_id,
                   std::uint64_t hold_id = 0);
  // The hold_ids sequence (seeded past the clock in microseconds, as SqliteCore's counter).
  Result<std::uint64_t> next_hold_id();
  // Whether `deltas` holds kind 0 identities (copied from an old SQLite HQ), decided at open.
  bool kind0_identities() const { return kind0_identities_; }

 private:
  explicit PgCore(std::unique_ptr<pg::Connection> db) : db_(std::move(db)) {}

  std::unique_ptr<pg::Connection> db_;
  std::set<std::string> pending_;
  std::map<std::string, std::uint64_t> stamped_;
  bool kind0_identities_ = false;
  std::optional<pma::v1::RuleSet> rules_;
  std::int64_t rules_version_ = 0;
  bool rules_loaded_ = false;
  std::map<std::int64_t, std::optional<pma::v1::RuleSet>> older_rules_;
  Limits limits_;
};

// The bytes of a string, for bind.
inline std::span<const std::uint8_t> pg_bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace pma::hq

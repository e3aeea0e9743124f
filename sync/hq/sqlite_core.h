// What HQ's four SQLite implementations (sqlite_batch_ingest.h, sqlite_member_pages.h,
// sqlite_reservations.h, sqlite_administration.h) really share over one file: the connection,
// the member version counter, the cached newest rule set, and the few reads more than one of
// them makes (a terminal's watermark, a provisional id's HQ id, HQ's member numbering, dropping
// a hold). Opening it runs the migrations. Single-threaded (the server's io_context thread); the
// four objects over one core must be used from that one thread too.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "drivers/sqlite/database.h"
#include "pma/error.h"
#include "pma/v1/rules.pb.h"
#include "sync/hq/delta_checks.h"
#include "sync/net/tls.h"

namespace pma::hq {

using net::TerminalIdentity;

// The delta being applied, as far as SqliteCore::resolve needs it (seq 0: none).
struct DeltaAt {
  std::string store_id;
  std::string terminal_id;
  std::uint64_t seq = 0;
};

class SqliteCore {
 public:
  // How long a statement waits for another process's lock (memberhq erase or import beside the
  // server) before it fails.
  static constexpr std::chrono::milliseconds kBusyTimeout{5000};

  // Opens or creates the file and brings its schema to the latest version
  // (sqlite_sink_migrations.h). synchronous: "FULL" (default) or "NORMAL". Errors:
  // "sqlite_open", "schema_too_new" (a newer memberhq's file: refused, unchanged),
  // "schema_migration", "schema_unrecognised".
  static Result<std::unique_ptr<SqliteCore>> open(const std::string& path,
                                                  const std::string& synchronous = "FULL");

  sqlite::Database& db() { return *db_; }

  // Member versions: each change of a member row takes the next one. A writer remembers
  // version() before its transaction and restore_version()s it when the transaction fails.
  std::uint64_t next_version() { return ++version_; }
  std::uint64_t version() const { return version_; }
  void restore_version(std::uint64_t version) { version_ = version; }
  // Inside a write transaction: catches up with versions another process (memberhq erase or
  // import while the server runs) has committed, so versions stay increasing in commit order.
  Status refresh_version();

  // The newest rule set and its caps (re-read when another version was published), and the one
  // a checkout names (nullptr: none published; valid until the next refresh_rules, which also
  // forgets the older versions read since).
  Status refresh_rules();
  const pma::v1::RuleSet* newest_rules() const { return rules_ ? &*rules_ : nullptr; }
  const Limits& limits() const { return limits_; }
  Result<const pma::v1::RuleSet*> rules_at(std::int64_t version);

  // Highest contiguous seq applied for the terminal (0 when none).
  Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal);

  // HQ's id for member_id: a provisional "P-..." id HQ has mapped becomes its member; any other
  // id is canonical already. A provisional id the applying delta's terminal reused for another
  // person (disputed from at.seq or earlier) stays itself.
  Result<std::string> resolve(const std::string& member_id, const DeltaAt& at = {});
  // Whether the terminal disputed provisional_id at or before seq (reused it for another person).
  Result<bool> disputed(const std::string& provisional_id, const std::string& store_id,
                        const std::string& terminal_id, std::uint64_t seq);

  // HQ's next own id H<9 digits>, never one a member (imported or not) already holds.
  Result<std::string> next_member_id();
  // An import wrote `written` members: numbering skips past them without a probe each.
  void note_imported(std::size_t written) {
    next_member_number_ += static_cast<std::int64_t>(written);
  }

  // Drops the terminal's hold for txn_id (both tables) if its id is hold_id (0: whatever its
  // id); nothing when there is none. Reservations and the checkout that consumes it.
  Status drop_hold(const TerminalIdentity& terminal, const std::string& txn_id,
                   std::uint64_t hold_id = 0);
  // Hold ids keep increasing across restarts (seeded at open past the table's and the clock).
  std::uint64_t next_hold_id() { return ++hold_counter_; }

  // Whether `deltas` holds kind 0 identities (carried over from before kinds were kept),
  // decided at open (no new one is ever written): without them each lookup of an identity or
  // a sale is one point read instead of two.
  bool kind0_identities() const { return kind0_identities_; }

 private:
  explicit SqliteCore(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  Status find_kind0_identities();
  Status seed_member_numbering();  // next_member_number_ past every H<digits> id held

  std::unique_ptr<sqlite::Database> db_;
  std::uint64_t version_ = 0;
  std::uint64_t hold_counter_ = 0;
  std::int64_t next_member_number_ = 1;
  bool kind0_identities_ = false;
  std::optional<pma::v1::RuleSet> rules_;  // the newest published rule set, if any
  std::int64_t rules_version_ = 0;
  bool rules_loaded_ = false;
  // Older versions checkouts of this batch named (nullopt: not published or garbled).
  std::map<std::int64_t, std::optional<pma::v1::RuleSet>> older_rules_;
  Limits limits_;
};

}  // namespace pma::hq

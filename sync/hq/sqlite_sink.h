// The embedded Sink: one SQLite file holding the whole chain; it implements all four of the
// server's interfaces (sink.h). Single-threaded (the server's io_context thread); owns its
// connection.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "hq/delta_checks.h"
#include "hq/sink.h"
#include "sqlite/database.h"

namespace pma::hq {

class SqliteSink final : public Sink {
 public:
  // How long a statement waits for another process's lock (memberhq erase or import beside the
  // server) before it fails.
  static constexpr std::chrono::milliseconds kBusyTimeout{5000};

  // Opens or creates the file and brings its schema to the latest version
  // (sqlite_sink_migrations.h). synchronous: "FULL" (default) or "NORMAL". Errors:
  // "sqlite_open", "schema_too_new" (a newer memberhq's file: refused, unchanged),
  // "schema_migration", "schema_unrecognised".
  static Result<std::unique_ptr<SqliteSink>> open(const std::string& path,
                                                  const std::string& synchronous = "FULL");

  Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal) override;
  Result<std::vector<pma::v1::IdMapping>> id_mappings(
      const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) override;
  Result<ApplyOutcome> apply_batch(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                                   std::int64_t now_ms) override;
  Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal, std::uint64_t cursor,
                                          std::uint32_t max_members, std::int64_t rule_set_version,
                                          std::int64_t now_ms) override;
  Status put_rule_set(std::int64_t version, const std::string& rule_set) override;
  Result<std::size_t> import_members(std::span<const ImportedMember> members) override;
  Result<std::vector<Conflict>> conflicts() override;
  Result<std::optional<MemberSnapshot>> member(const std::string& member_id) override;
  Result<std::uint64_t> applied_count(const TerminalIdentity& terminal) override;
  Result<pma::v1::ReserveReply> reserve(const TerminalIdentity& terminal,
                                        const pma::v1::ReserveRequest& request, std::int64_t now_ms,
                                        std::int64_t hold_until_ms) override;
  Status release(const TerminalIdentity& terminal, const std::string& txn_id,
                 std::uint64_t hold_id) override;
  Result<std::uint64_t> active_holds(std::int64_t now_ms) override;
  // sqlite_sink_admin.cpp
  Result<ErasureReport> erase_member(const std::string& member_id) override;
  Result<bool> set_terminal_revoked(const TerminalIdentity& terminal, bool revoked,
                                    std::int64_t now_ms) override;
  Result<bool> check_terminal(const TerminalIdentity& terminal, std::int64_t now_ms) override;
  Status flush_terminal_activity() override;
  Result<std::vector<TerminalInfo>> terminals() override;

 private:
  // The batch being applied (sqlite_sink.cpp and sqlite_sink_identity.cpp).
  struct Context {
    const TerminalIdentity& terminal;
    std::int64_t now_ms;
    ApplyOutcome& outcome;
  };
  explicit SqliteSink(std::unique_ptr<sqlite::Database> db) : db_(std::move(db)) {}
  Status apply_delta(Context& context, const pma::v1::Delta& delta);
  Result<std::string> resolve(const std::string& member_id);
  // spend_fen (checkouts +, refunds -) goes to the member's bucket of the delta's month (a
  // refund's: the refunded purchase's month when the till says so). Nothing changes for
  // an erased member: an "erased_member_activity" conflict is recorded instead.
  Status add_points(Context& context, const pma::v1::Delta& delta, const std::string& member_id,
                    std::int64_t points, bool spends, std::int64_t spend_fen = 0);
  Status redeem(Context& context, const pma::v1::Delta& delta, const std::string& member_id,
                const std::string& code);
  Status restore_coupon(Context& context, const std::string& code, const std::string& txn);
  Status register_member(Context& context, const pma::v1::Delta& delta);
  // True when the registration must not be applied: its provisional id is mapped already
  // (the same person: the mapping is answered again; another: "provisional_id_reused"), or a
  // welcome code belongs to another member ("coupon_code_reused"). Changes nothing else.
  Result<bool> held_for_other(Context& context, const pma::v1::Delta& delta);
  // Delta identity (sqlite_sink_identity.cpp). fresh: its row in `deltas` is written (its
  // identity; a checkout's figures), apply it, then note_applied; duplicate: the terminal sent
  // this delta before under another seq (applied then); refused: the terminal's txn id (or
  // provisional id) names other contents now, a conflict is recorded and nothing changes.
  enum class Claim { fresh, duplicate, refused };
  Result<Claim> claim_identity(Context& context, const pma::v1::Delta& delta);
  // The delta's row; if_new: nothing when its identity has a row (then: duplicate).
  Result<Claim> insert_row(Context& context, const pma::v1::Delta& delta, bool if_new);
  // After the checks and the apply: a refused checkout's figures become zero; an applied
  // refund's figures are added to its sale's.
  Status note_applied(Context& context, const pma::v1::Delta& delta, bool refused);
  // Whether `deltas` holds kind 0 identities (the schema itself is sqlite_sink_migrations.h's).
  Status find_kind0_identities();
  // A provisional id the terminal reused for another person from from_seq on: its deltas from
  // then on never resolve to the id's first holder, and HQ no longer maps it for the terminal.
  Status dispute(Context& context, const std::string& provisional_id, std::uint64_t from_seq);
  Result<bool> disputed(const std::string& provisional_id, const std::string& store_id,
                        const std::string& terminal_id, std::uint64_t seq);
  // Authorisation (sqlite_sink_checks.cpp): why the terminal may not send this delta, if it
  // may not; checked before anything of it is applied.
  Result<std::optional<Refusal>> authorise(const TerminalIdentity& terminal,
                                           const pma::v1::Delta& delta);
  Result<std::optional<Refusal>> check_coupon(const TerminalIdentity& terminal,
                                              const std::string& member_id,
                                              const std::string& code);
  Result<std::optional<Refusal>> check_refund(const TerminalIdentity& terminal,
                                              const pma::v1::RefundRecorded& refund);
  // The terminal's sale txn_id (its checkout's row, else a kind 0 one), if any.
  struct Sale {
    bool figures_known;  // false: applied before HQ kept sales
    std::string member_id;
    std::int64_t fen_left, earned_left, burned_left;
    std::int64_t kind;  // the row's kind (note_applied adds a refund to it)
  };
  Result<std::optional<Sale>> find_sale(const TerminalIdentity& terminal,
                                        const std::string& txn_id);
  // The newest rule set and its caps (once per batch), and the one a checkout names (nullptr:
  // none published; valid until the next refresh_rules).
  Status refresh_rules();
  Result<const pma::v1::RuleSet*> rules_at(std::int64_t version);
  Status seed_member_numbering();  // next_member_number_ past every H<digits> id held
  // HQ's next own id H<9 digits>, never one a member (imported or not) already holds.
  Result<std::string> next_member_id();
  Status record_conflict(Context& context, const pma::v1::Delta& delta, std::string kind,
                         const std::string& member_id, const std::string& code, std::string detail);
  Status touch(const std::string& member_id);
  // Drops the holds of the batch's checkouts (sqlite_sink_reservations.cpp).
  Status consume_holds(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                       std::uint64_t from_seq, std::uint64_t through_seq);
  // hold_id 0: whatever the hold's id.
  Status drop_hold(const TerminalIdentity& terminal, const std::string& txn_id,
                   std::uint64_t hold_id = 0);
  // Whether the terminal's delta for txn_id is among its last applied ones (a reservation that
  // arrives after its checkout must not leave a hold nobody consumes).
  Result<bool> recently_applied(const TerminalIdentity& terminal, const std::string& txn_id);
  // The coupons and points burns the terminal has held at now_ms (at most kMaxHoldsPerTerminal).
  Result<std::uint64_t> holds_of(const TerminalIdentity& terminal, std::int64_t now_ms);
  // Points the member may burn for this terminal's request (invariant 2), and the points held
  // for other checkouts. Errors: "reserve_invalid" when the request's entries overflow int64.
  Result<std::pair<std::int64_t, std::int64_t>> points_available(
      const TerminalIdentity& terminal, const std::string& member_id, std::int64_t hq_points,
      const pma::v1::ReserveRequest& request, std::int64_t now_ms);
  std::uint64_t next_version() { return ++version_; }
  // Inside a write transaction: catches up with versions another process (memberhq erase or
  // import while the server runs) has committed, so versions stay increasing in commit order.
  Status refresh_version();
  // Spend: the member row holds one month's bucket (spend_month, spend_month_fen; normally the
  // newest), so a checkout costs no extra write; other months live in member_spend. Each fen
  // is stored in exactly one place, so the window's sum counts both.
  // add_points' slow path: false when the member is erased (nothing changed); otherwise applies
  // the points and files the spend under another month than the row's bucket.
  Result<bool> roll_spend_month(const std::string& member_id, std::int64_t points,
                                std::int64_t version, std::int64_t month, std::int64_t spend_fen);
  Status add_spend(const std::string& member_id, std::int64_t month, std::int64_t spend_fen);
  Status move_spend(const std::string& from_member_id, const std::string& to_member_id);

  // The delta apply_batch is applying (set by claim_identity), for resolve() and note_applied.
  struct Applying {
    std::string store_id;
    std::string terminal_id;
    std::uint64_t seq = 0;
    std::int64_t kind = 0;
    std::int64_t digest = 0;
  };
  Applying applying_;
  // Whether `deltas` holds kind 0 identities (carried over from before kinds were kept),
  // decided at open (no new one is ever written): without them each lookup of an identity or
  // a sale is one point read instead of two.
  bool kind0_identities_ = false;

  std::unique_ptr<sqlite::Database> db_;
  std::uint64_t version_ = 0;
  std::uint64_t hold_counter_ = 0;  // hold ids: seeded from the clock and the table at open
  std::int64_t next_member_number_ = 1;
  std::optional<pma::v1::RuleSet> rules_;  // the newest published rule set, if any
  std::int64_t rules_version_ = 0;
  bool rules_loaded_ = false;
  // Older versions checkouts of this batch named (nullopt: not published or garbled).
  std::map<std::int64_t, std::optional<pma::v1::RuleSet>> older_rules_;
  Limits limits_;
  // Session attempts (store, terminal) -> last seen UTC ms, noted by check_terminal and not
  // yet written by flush_terminal_activity.
  std::map<std::pair<std::string, std::string>, std::int64_t> seen_;
};

}  // namespace pma::hq

// PgCore: opening (migrations, partitions, counters), member versions stamped at commit, the
// cached rule sets, and the reads the four PostgreSQL parts share.
#include "sync/hq/pg_core.h"

#include <fmt/format.h>

#include <chrono>

#include "sync/hq/pg_schema.h"

namespace pma::hq {

namespace {

// A PostgreSQL array literal of texts: each element double-quoted, " and \ escaped.
std::string text_array(const std::set<std::string>& items) {
  std::string out = "{";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

}  // namespace

Result<std::unique_ptr<PgCore>> PgCore::open(const std::string& uri) {
  PMA_TRY_ASSIGN(auto db, pg::Connection::open(uri));
  PMA_TRY(migrate_pg(*db));
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  PMA_TRY(ensure_delta_partitions(*db, now_ms));
  std::unique_ptr<PgCore> core(new PgCore(std::move(db)));
  auto kind0 =
      core->db_->query("SELECT EXISTS(SELECT 1 FROM deltas WHERE kind = 0 AND unkeyed_seq = 0)");
  if (!kind0) return std::unexpected(kind0.error());
  core->kind0_identities_ = *kind0->int64(0, 0) != 0;
  // Numbering past every H<digits> id held (an import or a migrated SQLite HQ); next_member_id
  // still checks each number.
  PMA_TRY(core->db_->query(
      "SELECT setval('member_numbers', GREATEST((SELECT last_value + 1 FROM member_numbers), "
      "(SELECT COALESCE(MAX(substr(member_id, 2)::bigint), 0) + 1 FROM members WHERE "
      "member_id ~ '^H[0-9]{1,18}$')), false)"));
  return core;
}

Result<pg::Transaction> PgCore::begin() {
  pending_.clear();
  return pg::Transaction::begin(*db_);
}

Status PgCore::commit(pg::Transaction& tx) {
  stamped_.clear();
  if (!pending_.empty()) {
    // Held until the commit is visible: versions become visible in the order they are taken.
    PMA_TRY(pg::run(*db_, "SELECT pg_advisory_xact_lock($1)", kVersionLock));
    PMA_TRY_ASSIGN(
        auto rows,
        db_->query("UPDATE members SET version = nextval('member_versions') WHERE member_id = "
                   "ANY($1::text[]) RETURNING member_id, version",
                   std::vector<pg::Param>{text_array(pending_)}));
    for (int i = 0; i < rows.size(); ++i) {
      stamped_[rows.text(i, 0)] = static_cast<std::uint64_t>(*rows.int64(i, 1));
    }
    pending_.clear();
  }
  return tx.commit();
}

Result<std::uint64_t> PgCore::highest_applied(const TerminalIdentity& terminal) {
  auto q =
      db_->prepare("SELECT highest_seq FROM terminals WHERE store_id = $1 AND terminal_id = $2");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY_ASSIGN(auto row, q->step());
  return row ? static_cast<std::uint64_t>(q->column_int64(0)) : 0;
}

Result<std::string> PgCore::next_member_id() {
  for (;;) {
    PMA_TRY_ASSIGN(auto n, db_->query("SELECT nextval('member_numbers')"));
    std::string id = fmt::format("H{:09}", *n.int64(0, 0));
    PMA_TRY_ASSIGN(auto q,
                   db_->prepare("SELECT EXISTS(SELECT 1 FROM members WHERE member_id = $1) OR "
                                "EXISTS(SELECT 1 FROM provisional_ids WHERE provisional_id = $1)"));
    q.bind(1, id);
    PMA_TRY(q.step());
    if (q.column_int64(0) == 0) return id;
  }
}

Result<std::uint64_t> PgCore::next_hold_id() {
  PMA_TRY_ASSIGN(auto n, db_->query("SELECT nextval('hold_ids')"));
  return static_cast<std::uint64_t>(*n.int64(0, 0));
}

Status PgCore::refresh_rules() {
  // The version first: the rule set's bytes cross the wire only when another was published.
  PMA_TRY_ASSIGN(auto q,
                 db_->prepare("SELECT version FROM rule_sets ORDER BY version DESC LIMIT 1"));
  PMA_TRY_ASSIGN(auto row, q.step());
  const std::int64_t version = row ? q.column_int64(0) : 0;
  older_rules_.clear();
  if (version == rules_version_ && rules_loaded_) return {};
  rules_.reset();
  if (row) {
    PMA_TRY_ASSIGN(auto r, db_->prepare("SELECT rule_set FROM rule_sets WHERE version = $1"));
    r.bind(1, version);
    PMA_TRY_ASSIGN(auto found, r.step());
    if (found) {
      auto bytes = r.column_blob(0);
      pma::v1::RuleSet rules;
      // `memberhq rules` checks what it stores; a garbled one leaves the defaults in force.
      if (rules.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) rules_ = rules;
    }
  }
  rules_version_ = version;
  rules_loaded_ = true;
  limits_ = rules_ ? effective_limits(*rules_) : Limits{};
  return {};
}

Result<const pma::v1::RuleSet*> PgCore::rules_at(std::int64_t version) {
  const pma::v1::RuleSet* newest = rules_ ? &*rules_ : nullptr;
  if (version == rules_version_) return newest;
  auto [it, inserted] = older_rules_.try_emplace(version);
  if (inserted) {
    PMA_TRY_ASSIGN(auto q, db_->prepare("SELECT rule_set FROM rule_sets WHERE version = $1"));
    q.bind(1, version);
    auto row = q.step();
    if (!row) {
      older_rules_.erase(it);
      return std::unexpected(row.error());
    }
    if (*row) {
      auto bytes = q.column_blob(0);
      pma::v1::RuleSet rules;
      if (rules.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        it->second = std::move(rules);
      }
    }
  }
  // A version HQ never published, or a garbled one: judge by the newest.
  return it->second ? &*it->second : newest;
}

Result<std::string> PgCore::resolve(const std::string& member_id, const PgDeltaAt& at) {
  if (!member_id.starts_with("P-")) return member_id;
  if (at.seq != 0) {
    PMA_TRY_ASSIGN(auto reused, disputed(member_id, at.store_id, at.terminal_id, at.seq));
    if (reused) return member_id;
  }
  PMA_TRY_ASSIGN(auto q,
                 db_->prepare("SELECT member_id FROM provisional_ids WHERE provisional_id = $1"));
  q.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  return row ? q.column_text(0) : member_id;
}

Result<bool> PgCore::disputed(const std::string& provisional_id, const std::string& store_id,
                              const std::string& terminal_id, std::uint64_t seq) {
  PMA_TRY_ASSIGN(
      auto q,
      db_->prepare("SELECT 1 FROM disputed_ids WHERE provisional_id = $1 AND store_id = $2 AND "
                   "terminal_id = $3 AND from_seq <= $4"));
  q.bind(1, provisional_id).bind(2, store_id).bind(3, terminal_id);
  q.bind(4, static_cast<std::int64_t>(seq));
  PMA_TRY_ASSIGN(auto row, q.step());
  return row;
}

Status PgCore::drop_hold(const TerminalIdentity& terminal, const std::string& txn_id,
                         std::uint64_t hold_id) {
  if (hold_id != 0) {
    PMA_TRY_ASSIGN(
        auto q,
        db_->prepare(
            "SELECT 1 FROM holds WHERE store_id = $1 AND terminal_id = $2 AND txn_id = $3 AND "
            "hold_id = $4"));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, txn_id);
    q.bind(4, static_cast<std::int64_t>(hold_id));
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) return {};  // a newer hold for this txn (or none): not this release's to drop
  }
  for (std::string_view sql :
       {"DELETE FROM holds WHERE store_id = $1 AND terminal_id = $2 AND txn_id = $3",
        "DELETE FROM held_coupons WHERE store_id = $1 AND terminal_id = $2 AND txn_id = $3"}) {
    PMA_TRY_ASSIGN(auto q, db_->prepare(sql));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, txn_id);
    PMA_TRY(q.run());
  }
  return {};
}

}  // namespace pma::hq

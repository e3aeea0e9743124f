// SqliteBatchIngest's members and coupons: redemptions, refunds' restored coupons,
// registrations (a provisional id mapped to HQ's member), and the rolling 12-month spend
// buckets add_points feeds.
#include <fmt/format.h>

#include "sync/hq/sqlite_batch_ingest.h"

namespace pma::hq {

Status SqliteBatchIngest::redeem(Context& context, const pma::v1::Delta& delta,
                                 const std::string& member_id, const std::string& code) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT state, COALESCE(redeemed_store, ''), COALESCE(redeemed_terminal, ''), "
                  "COALESCE(redeemed_txn, '') FROM coupons WHERE code = ?1"));
  q.bind(1, code);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (row) {
    auto state = static_cast<pma::v1::CouponStateKind>(q.column_int64(0));
    std::string store = q.column_text(1), terminal = q.column_text(2), txn = q.column_text(3);
    PMA_TRY(q.run());
    if (state == pma::v1::COUPON_REDEEMED) {
      if (txn == delta.txn_id() && store == context.terminal.store_id) return {};
      return record_conflict(context, delta, "coupon_redeemed_twice", member_id, code,
                             fmt::format("already redeemed at {}/{} in txn {}; again in txn {}",
                                         store, terminal, txn, delta.txn_id()));
    }
    if (state == pma::v1::COUPON_REVOKED) {
      return record_conflict(context, delta, "coupon_revoked_redeemed", member_id, code,
                             fmt::format("revoked coupon redeemed in txn {}", delta.txn_id()));
    }
  }
  PMA_TRY_ASSIGN(
      auto u,
      db_.prepare(
          "INSERT INTO coupons(code, member_id, state, redeemed_store, redeemed_terminal, "
          "redeemed_txn) VALUES(?1, ?2, 2, ?3, ?4, ?5) ON CONFLICT(code) DO UPDATE SET state = 2, "
          "redeemed_store = ?3, redeemed_terminal = ?4, redeemed_txn = ?5"));
  u.bind(1, code).bind(2, member_id).bind(3, context.terminal.store_id);
  u.bind(4, context.terminal.terminal_id).bind(5, delta.txn_id());
  PMA_TRY(u.run());
  return touch(member_id);
}

Status SqliteBatchIngest::restore_coupon(Context& context, const std::string& code,
                                         const std::string& txn) {
  // A refund gives the coupon back to its member, unless the member was erased since: erasure
  // revoked its issued coupons, and one redeemed then comes back revoked too. Only a coupon
  // this terminal redeemed in that txn: txn ids are the POS's, and another store's may match.
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "UPDATE coupons SET state = IIF(EXISTS(SELECT 1 FROM members m WHERE m.member_id = "
          "coupons.member_id AND m.erased = 1), 3, 1), redeemed_store = NULL, "
          "redeemed_terminal = NULL, redeemed_txn = NULL WHERE code = ?1 AND state = 2 AND "
          "redeemed_txn = ?2 AND redeemed_store = ?3 AND redeemed_terminal = ?4 "
          "RETURNING member_id, state"));
  q.bind(1, code).bind(2, txn).bind(3, context.terminal.store_id);
  q.bind(4, context.terminal.terminal_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) return {};
  std::string member_id = q.column_text(0);
  const bool revoked = q.column_int64(1) == pma::v1::COUPON_REVOKED;
  PMA_TRY(q.run());
  if (revoked) return {};  // the erased member's tombstone has nothing new to carry
  return touch(member_id);
}

Status SqliteBatchIngest::register_member(Context& context, const pma::v1::Delta& delta) {
  const auto& r = delta.member_registered();
  // A provisional id or welcome code HQ already holds: the same registration again (mapped
  // as before), or another person under a reused id, refused whole (never merged).
  PMA_TRY_ASSIGN(auto held, held_for_other(context, delta));
  if (held) return {};
  std::string canonical;
  if (!r.phone_hash().empty()) {
    PMA_TRY_ASSIGN(auto q, db_.prepare("SELECT member_id FROM members WHERE phone_hash = ?1"));
    q.bind_blob(1, std::span(reinterpret_cast<const std::uint8_t*>(r.phone_hash().data()),
                             r.phone_hash().size()));
    PMA_TRY_ASSIGN(auto row, q.step());
    if (row) canonical = q.column_text(0);
  }
  if (canonical.empty()) {
    PMA_TRY_ASSIGN(auto id, core_.next_member_id());
    canonical = std::move(id);
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare(
            "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, "
            "version, profile) VALUES(?1, NULLIF(?2, ''), ?3, ?4, ?5, ?6, ?7, 1)"));
    q.bind(1, canonical).bind(2, r.card_no());
    if (r.phone_hash().empty()) {
      q.bind(3, nullptr);
    } else {
      q.bind_blob(3, std::span(reinterpret_cast<const std::uint8_t*>(r.phone_hash().data()),
                               r.phone_hash().size()));
    }
    q.bind(4, r.phone_masked()).bind(5, r.name()).bind(6, r.birthday());
    q.bind(7, static_cast<std::int64_t>(core_.next_version()));
    PMA_TRY(q.run());
  }
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "INSERT OR IGNORE INTO provisional_ids(provisional_id, member_id) VALUES(?1, ?2)"));
  q.bind(1, r.provisional_id()).bind(2, canonical);
  PMA_TRY(q.run());
  // Points and coupons recorded under the provisional id before HQ knew it move across.
  PMA_TRY_ASSIGN(
      auto moved,
      db_.prepare("SELECT points FROM members WHERE member_id = ?1 AND member_id <> ?2"));
  moved.bind(1, r.provisional_id()).bind(2, canonical);
  PMA_TRY_ASSIGN(auto row, moved.step());
  if (row) {
    std::int64_t points = moved.column_int64(0);
    PMA_TRY(moved.run());
    PMA_TRY(add_points(context, delta, canonical, points, false));
    PMA_TRY(move_spend(r.provisional_id(), canonical));
    PMA_TRY_ASSIGN(auto del, db_.prepare("DELETE FROM members WHERE member_id = ?1"));
    del.bind(1, r.provisional_id());
    PMA_TRY(del.run());
  }
  for (const auto& t : r.welcome_coupon_terms()) {
    PMA_TRY_ASSIGN(
        auto c,
        db_.prepare(
            "INSERT OR IGNORE INTO coupons(code, member_id, template_id, title, valid_from, "
            "valid_until, state) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1)"));
    c.bind(1, t.code()).bind(2, canonical).bind(3, t.template_id()).bind(4, t.title());
    c.bind(5, t.valid_from()).bind(6, t.valid_until());
    PMA_TRY(c.run());
  }
  for (const auto& code : r.welcome_coupons()) {  // an older agent's codes without terms
    PMA_TRY_ASSIGN(auto c,
                   db_.prepare("INSERT OR IGNORE INTO coupons(code, member_id, template_id, state) "
                               "VALUES(?1, ?2, 'welcome', 1)"));
    c.bind(1, code).bind(2, canonical);
    PMA_TRY(c.run());
  }
  pma::v1::IdMapping mapping;
  mapping.set_provisional_id(r.provisional_id());
  mapping.set_member_id(canonical);
  context.outcome.id_mappings.push_back(std::move(mapping));
  return touch(canonical);
}

Result<bool> SqliteBatchIngest::held_for_other(Context& context, const pma::v1::Delta& delta) {
  const auto& r = delta.member_registered();
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT p.member_id, m.phone_hash FROM provisional_ids p LEFT JOIN members m ON "
                  "m.member_id = p.member_id WHERE p.provisional_id = ?1"));
  q.bind(1, r.provisional_id());
  PMA_TRY_ASSIGN(auto row, q.step());
  if (row) {
    const std::string canonical = q.column_text(0);
    const auto hash = q.column_blob(1);
    PMA_TRY(q.run());
    const bool same_person =
        !r.phone_hash().empty() && std::string(hash.begin(), hash.end()) == r.phone_hash();
    if (same_person) {
      pma::v1::IdMapping& mapping = context.outcome.id_mappings.emplace_back();
      mapping.set_provisional_id(r.provisional_id());
      mapping.set_member_id(canonical);
      return true;
    }
    PMA_TRY(record_conflict(context, delta, "provisional_id_reused", r.provisional_id(), "",
                            fmt::format("{} already names member {}; the registration at seq {} "
                                        "(another phone) changed nothing",
                                        r.provisional_id(), canonical, delta.seq())));
    PMA_TRY(dispute(context, r.provisional_id(), delta.seq()));
    return true;
  }
  PMA_TRY(q.run());
  std::vector<std::string> codes(r.welcome_coupons().begin(), r.welcome_coupons().end());
  for (const auto& t : r.welcome_coupon_terms()) codes.push_back(t.code());
  for (const auto& code : codes) {
    PMA_TRY_ASSIGN(auto c,
                   db_.prepare("SELECT COALESCE(member_id, '') FROM coupons WHERE code = ?1"));
    c.bind(1, code);
    PMA_TRY_ASSIGN(auto found, c.step());
    if (!found) continue;
    const std::string holder = c.column_text(0);
    PMA_TRY(c.run());
    if (holder == r.provisional_id()) continue;
    PMA_TRY(record_conflict(context, delta, "coupon_code_reused", r.provisional_id(), code,
                            fmt::format("welcome code {} already belongs to member {}; the "
                                        "registration of {} changed nothing",
                                        code, holder, r.provisional_id())));
    return true;
  }
  return false;
}

Result<bool> SqliteBatchIngest::roll_spend_month(const std::string& member_id, std::int64_t points,
                                                 std::int64_t version, std::int64_t month,
                                                 std::int64_t spend_fen) {
  auto q =
      db_.prepare("SELECT erased, spend_month, spend_month_fen FROM members WHERE member_id = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, q->step());
  if (!row) return fail("sqlite_error", fmt::format("member {} vanished mid-batch", member_id));
  const bool erased = q->column_int64(0) != 0;
  const std::int64_t row_month = q->column_int64(1), row_fen = q->column_int64(2);
  PMA_TRY(q->run());
  if (erased) return false;
  if (month > row_month) {
    // A new month: the row's bucket moves to member_spend and the row starts the new one.
    if (row_fen != 0) PMA_TRY(add_spend(member_id, row_month, row_fen));
    PMA_TRY_ASSIGN(
        auto u,
        db_.prepare("UPDATE members SET points = points + ?2, version = ?3, spend_month = ?4, "
                    "spend_month_fen = ?5 WHERE member_id = ?1"));
    u.bind(1, member_id).bind(2, points).bind(3, version).bind(4, month).bind(5, spend_fen);
    PMA_TRY(u.run());
    return true;
  }
  // A late delta (an offline till, a refund) for an older month.
  PMA_TRY(add_spend(member_id, month, spend_fen));
  auto u =
      db_.prepare("UPDATE members SET points = points + ?2, version = ?3 WHERE member_id = ?1");
  if (!u) return std::unexpected(u.error());
  u->bind(1, member_id).bind(2, points).bind(3, version);
  PMA_TRY(u->run());
  return true;
}

Status SqliteBatchIngest::add_spend(const std::string& member_id, std::int64_t month,
                                    std::int64_t spend_fen) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("INSERT INTO member_spend(member_id, month, spend_fen) VALUES(?1, ?2, ?3) "
                  "ON CONFLICT(member_id, month) DO UPDATE SET spend_fen = spend_fen + "
                  "excluded.spend_fen"));
  q.bind(1, member_id).bind(2, month).bind(3, spend_fen);
  return q.run();
}

Status SqliteBatchIngest::move_spend(const std::string& from_member_id,
                                     const std::string& to_member_id) {
  // The source row's own bucket first (each fen is stored in exactly one place, so buckets of
  // the same month in the row and in member_spend simply add up).
  PMA_TRY_ASSIGN(
      auto bucket,
      db_.prepare("SELECT spend_month, spend_month_fen FROM members WHERE member_id = ?1 AND "
                  "spend_month_fen <> 0"));
  bucket.bind(1, from_member_id);
  PMA_TRY_ASSIGN(auto has, bucket.step());
  if (has) {
    std::int64_t month = bucket.column_int64(0), fen = bucket.column_int64(1);
    PMA_TRY(bucket.run());
    PMA_TRY(add_spend(to_member_id, month, fen));
  }
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "INSERT INTO member_spend(member_id, month, spend_fen) SELECT ?2, month, spend_fen "
          "FROM member_spend WHERE member_id = ?1 ON CONFLICT(member_id, month) DO UPDATE SET "
          "spend_fen = spend_fen + excluded.spend_fen"));
  q.bind(1, from_member_id).bind(2, to_member_id);
  PMA_TRY(q.run());
  PMA_TRY_ASSIGN(auto del, db_.prepare("DELETE FROM member_spend WHERE member_id = ?1"));
  del.bind(1, from_member_id);
  return del.run();
}

}  // namespace pma::hq

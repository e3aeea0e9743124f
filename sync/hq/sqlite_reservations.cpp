// SqliteReservations: online-first holds on coupons and points burns for a terminal's
// checkout, taken before the till commits and consumed when the checkout's Delta is applied.
#include "sync/hq/sqlite_reservations.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "pma/limits.h"
#include "sync/hq/delta_checks.h"

namespace pma::hq {

namespace {

void refuse(pma::v1::ReserveReply& reply, std::string code, std::string coupon,
            std::string message) {
  auto* r = reply.add_refusals();
  r->set_code(std::move(code));
  r->set_coupon_code(std::move(coupon));
  r->set_message(std::move(message));
}

// The hold a coupon is under (another checkout's, still in force), if any.
struct CouponHold {
  std::string store_id, terminal_id, txn_id;
};

// A refusal that says the terminal asked for what is not its own to hold: recorded as a
// conflict as well (seq 0: no delta caused it).
struct Recorded {
  std::string kind, member_id, coupon_code, detail;
};

}  // namespace

Result<bool> SqliteReservations::recently_applied(const TerminalIdentity& terminal,
                                                  const std::string& txn_id) {
  PMA_TRY_ASSIGN(auto highest, core_.highest_applied(terminal));
  // A prefix of the primary key (store, terminal, txn id), then its last 1,000 deltas.
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT EXISTS(SELECT 1 FROM deltas WHERE store_id = ?1 AND terminal_id = ?2 AND "
                  "txn_id = ?4 AND seq > ?3)"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  q.bind(3, static_cast<std::int64_t>(highest > 1000 ? highest - 1000 : 0)).bind(4, txn_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  bool found = row && q.column_int64(0) != 0;
  PMA_TRY(q.run());
  return found;
}

Result<pma::v1::ReserveReply> SqliteReservations::reserve(const TerminalIdentity& terminal,
                                                          const pma::v1::ReserveRequest& request,
                                                          std::int64_t now_ms,
                                                          std::int64_t hold_until_ms) {
  if (request.txn_id().empty()) return fail("reserve_invalid", "a reservation needs a txn_id");
  if (request.points() < 0) {
    return fail("reserve_invalid",
                fmt::format("points to hold must not be negative, got {}", request.points()));
  }
  if (request.points() > 0 && request.member_id().empty()) {
    return fail("reserve_invalid", "a points burn needs a member_id");
  }
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));

  pma::v1::ReserveReply reply;
  reply.set_txn_id(request.txn_id());
  // Asking again under the same txn_id replaces the earlier hold (granted or refused); stale
  // holds go.
  PMA_TRY(core_.drop_hold(terminal, request.txn_id()));
  for (std::string_view sql :
       {"DELETE FROM holds WHERE until_ms < ?1", "DELETE FROM held_coupons WHERE until_ms < ?1"}) {
    PMA_TRY_ASSIGN(auto q, db_.prepare(sql));
    q.bind(1, now_ms);
    PMA_TRY(q.run());
  }
  // A reservation read after its checkout was applied (it waited in a socket while HQ was
  // busy, and the till gave up on it): the checkout is in; holding now would hold for nobody.
  PMA_TRY_ASSIGN(auto late, recently_applied(terminal, request.txn_id()));
  if (late) {
    PMA_TRY(tx.commit());
    reply.set_granted(true);
    return reply;
  }

  // Not one member's points beyond what one transaction may burn (the rule set's cap), however
  // many the member has: the till refuses such a checkout itself.
  PMA_TRY(core_.refresh_rules());
  std::vector<Recorded> recorded;
  const bool points_in_range = request.points() <= core_.limits().max_points_per_transaction;
  if (!points_in_range) {
    std::string message =
        fmt::format("{} points to hold exceed the chain's {} points per transaction",
                    request.points(), core_.limits().max_points_per_transaction);
    recorded.push_back({"points_out_of_range", request.member_id(), "",
                        fmt::format("reservation for txn '{}': {}", request.txn_id(), message)});
    refuse(reply, "points_out_of_range", "", std::move(message));
  }

  std::string member_id = request.member_id();
  bool member_known = false;
  if (!member_id.empty()) {
    PMA_TRY_ASSIGN(auto canonical, core_.resolve(member_id));
    member_id = canonical;
    PMA_TRY_ASSIGN(auto q, db_.prepare("SELECT points, erased FROM members WHERE member_id = ?1"));
    q.bind(1, member_id);
    PMA_TRY_ASSIGN(auto row, q.step());
    std::int64_t hq_points = 0;
    bool erased = false;
    if (row) {
      member_known = true;
      hq_points = q.column_int64(0);
      erased = q.column_int64(1) != 0;
    }
    PMA_TRY(q.run());
    if (erased) {
      refuse(reply, "member_erased", "",
             fmt::format("member {} was erased at HQ; its points and coupons are gone", member_id));
    } else if (member_known) {
      PMA_TRY_ASSIGN(auto available,
                     points_available(terminal, member_id, hq_points, request, now_ms));
      reply.set_points_available(available.first);
      if (points_in_range && request.points() > available.first) {
        refuse(reply, "points_insufficient_at_hq", "",
               fmt::format("member {} has {} points available chain-wide ({} held for other "
                           "checkouts); {} asked",
                           member_id, std::max<std::int64_t>(available.first, 0), available.second,
                           request.points()));
      }
    } else {
      // Registered at this till and not synced yet: no other store can spend its points.
      reply.set_points_available(request.points());
    }
  }

  std::vector<std::string> to_hold;
  for (const auto& code : request.coupon_codes()) {
    if (std::find(to_hold.begin(), to_hold.end(), code) != to_hold.end()) continue;
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare("SELECT state, COALESCE(redeemed_store, ''), COALESCE(redeemed_terminal, ''), "
                    "COALESCE(member_id, '') FROM coupons WHERE code = ?1"));
    q.bind(1, code);
    PMA_TRY_ASSIGN(auto row, q.step());
    auto not_owner = [&](std::string message) {
      recorded.push_back({"coupon_not_owner", member_id, code,
                          fmt::format("reservation for txn '{}': {}", request.txn_id(), message)});
      refuse(reply, "coupon_not_owner", code, std::move(message));
    };
    if (!row) {
      // Issued at this till, not synced: nobody else can redeem it. A welcome code under
      // another terminal's prefix is that terminal's to register first.
      if (code.starts_with("W-") && !code.starts_with(own_prefix('W', terminal))) {
        not_owner(fmt::format("coupon {} is unknown at HQ and not under this terminal's prefix {}",
                              code, own_prefix('W', terminal)));
      }
      continue;
    }
    auto state = static_cast<pma::v1::CouponStateKind>(q.column_int64(0));
    std::string store = q.column_text(1), term = q.column_text(2), owner = q.column_text(3);
    PMA_TRY(q.run());
    if (state == pma::v1::COUPON_REDEEMED) {
      refuse(
          reply, "coupon_redeemed_elsewhere", code,
          fmt::format("coupon {} was already redeemed at store {} (till {})", code, store, term));
      continue;
    }
    if (state == pma::v1::COUPON_REVOKED) {
      refuse(reply, "coupon_revoked", code, fmt::format("coupon {} was revoked by HQ", code));
      continue;
    }
    if (!owner.empty() && owner != member_id) {
      PMA_TRY_ASSIGN(auto canonical_owner, core_.resolve(owner));
      if (canonical_owner != member_id) {
        not_owner(fmt::format("coupon {} belongs to another member, not to {}", code,
                              member_id.empty() ? "a checkout without a member" : member_id));
        continue;
      }
    }
    PMA_TRY_ASSIGN(
        auto h,
        db_.prepare("SELECT store_id, terminal_id, txn_id FROM held_coupons WHERE code = ?1 AND "
                    "until_ms >= ?2"));
    h.bind(1, code).bind(2, now_ms);
    PMA_TRY_ASSIGN(auto held, h.step());
    if (held) {
      CouponHold other{h.column_text(0), h.column_text(1), h.column_text(2)};
      PMA_TRY(h.run());
      refuse(reply, "coupon_reserved_elsewhere", code,
             fmt::format("coupon {} is being redeemed right now at store {} (till {})", code,
                         other.store_id, other.terminal_id));
      continue;
    }
    PMA_TRY(h.run());
    to_hold.push_back(code);
  }

  const std::uint64_t new_holds = (request.points() > 0 && member_known ? 1 : 0) + to_hold.size();
  if (reply.refusals_size() == 0 && new_holds > 0) {
    PMA_TRY_ASSIGN(auto in_force, holds_of(terminal, now_ms));
    if (in_force + new_holds > kMaxHoldsPerTerminal) {
      refuse(reply, "hold_limit_reached", "",
             fmt::format("this terminal already has {} coupons and points burns held at HQ (at "
                         "most {} at once); {} more asked",
                         in_force, kMaxHoldsPerTerminal, new_holds));
    }
  }
  if (reply.refusals_size() > 0) {
    for (const auto& r : recorded) {
      PMA_TRY_ASSIGN(auto q, db_.prepare("INSERT INTO conflicts(kind, member_id, coupon_code, "
                                         "store_id, terminal_id, seq, detail, "
                                         "at_ms) VALUES(?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)"));
      q.bind(1, r.kind).bind(2, r.member_id).bind(3, r.coupon_code).bind(4, terminal.store_id);
      q.bind(5, terminal.terminal_id).bind(6, r.detail).bind(7, now_ms);
      PMA_TRY(q.run());
    }
    PMA_TRY(tx.commit());  // keeps the replaced hold dropped and the purge; holds nothing new
    return reply;
  }
  const std::uint64_t hold_id = core_.next_hold_id();
  if ((request.points() > 0 && member_known) || !to_hold.empty()) {
    // Without points the row still marks that this terminal holds coupons (consume_holds
    // probes it).
    PMA_TRY_ASSIGN(auto q, db_.prepare("INSERT INTO holds(store_id, terminal_id, txn_id, "
                                       "member_id, points, until_ms, hold_id) "
                                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, request.txn_id());
    q.bind(4, member_id).bind(5, member_known ? request.points() : 0).bind(6, hold_until_ms);
    q.bind(7, static_cast<std::int64_t>(hold_id));
    PMA_TRY(q.run());
  }
  for (const auto& code : to_hold) {
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare("INSERT INTO held_coupons(code, store_id, terminal_id, txn_id, until_ms) "
                    "VALUES(?1, ?2, ?3, ?4, ?5)"));
    q.bind(1, code).bind(2, terminal.store_id).bind(3, terminal.terminal_id);
    q.bind(4, request.txn_id()).bind(5, hold_until_ms);
    PMA_TRY(q.run());
  }
  PMA_TRY(tx.commit());
  reply.set_granted(true);
  reply.set_hold_until_ms(hold_until_ms);
  reply.set_hold_id(hold_id);
  return reply;
}

Result<std::pair<std::int64_t, std::int64_t>> SqliteReservations::points_available(
    const TerminalIdentity& terminal, const std::string& member_id, std::int64_t hq_points,
    const pma::v1::ReserveRequest& request, std::int64_t now_ms) {
  // Invariant 2 at HQ: its balance has this terminal's deltas up to its highest applied seq;
  // the till's entries beyond it are added once. Holds of this terminal whose txns the till has
  // committed (an entry beyond that seq stands for them) do not count a second time.
  PMA_TRY_ASSIGN(auto highest, core_.highest_applied(terminal));
  auto overflow = [] {
    return fail("reserve_invalid", "the unreflected entries' points do not fit in int64");
  };
  std::int64_t pending = 0;
  std::vector<std::string> committed;
  for (const auto& e : request.unreflected()) {
    if (e.seq() <= highest) continue;
    auto sum = checked_add(pending, e.points());
    if (!sum) return overflow();
    pending = *sum;
    committed.push_back(e.txn_id());
  }
  PMA_TRY_ASSIGN(
      auto held,
      db_.prepare(
          "SELECT store_id, terminal_id, txn_id, points FROM holds WHERE member_id = ?1 AND "
          "until_ms >= ?2 AND points > 0"));
  held.bind(1, member_id).bind(2, now_ms);
  std::int64_t held_points = 0;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, held.step());
    if (!row) break;
    bool ours =
        held.column_text(0) == terminal.store_id && held.column_text(1) == terminal.terminal_id;
    if (ours &&
        std::find(committed.begin(), committed.end(), held.column_text(2)) != committed.end()) {
      continue;
    }
    auto sum = checked_add(held_points, held.column_int64(3));
    if (!sum) return overflow();
    held_points = *sum;
  }
  auto with_pending = checked_add(hq_points, pending);
  auto available = with_pending ? checked_sub(*with_pending, held_points) : std::nullopt;
  if (!available) return overflow();
  return std::pair{*available, held_points};
}

Status SqliteReservations::release(const TerminalIdentity& terminal, const std::string& txn_id,
                                   std::uint64_t hold_id) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY(core_.drop_hold(terminal, txn_id, hold_id));
  return tx.commit();
}

Result<std::uint64_t> SqliteReservations::holds_of(const TerminalIdentity& terminal,
                                                   std::int64_t now_ms) {
  // Counted as active_holds counts them: each coupon, each points burn.
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT (SELECT COUNT(*) FROM holds WHERE store_id = ?1 AND terminal_id = ?2 AND "
          "until_ms >= ?3 AND points > 0) + (SELECT COUNT(*) FROM held_coupons WHERE store_id = ?1 "
          "AND terminal_id = ?2 AND until_ms >= ?3)"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, now_ms);
  PMA_TRY(q.step());
  return static_cast<std::uint64_t>(q.column_int64(0));
}

Result<std::uint64_t> SqliteReservations::active_holds(std::int64_t now_ms) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT (SELECT COUNT(*) FROM holds WHERE until_ms >= ?1 AND points > 0) + "
                  "(SELECT COUNT(*) FROM held_coupons WHERE until_ms >= ?1)"));
  q.bind(1, now_ms);
  PMA_TRY(q.step());
  return static_cast<std::uint64_t>(q.column_int64(0));
}

}  // namespace pma::hq

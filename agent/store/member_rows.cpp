// The SQL here reaches into tables other modules own (checkout_txns, print_queue,
// idempotency): erasure and id mapping must cover all of them in one transaction, and this is
// the one place that knows the whole list (tests/store/member_rows_test.cpp scans every table,
// so a table added later without being handled here fails it).
#include "store/member_rows.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "pma/v1/checkout.pb.h"

namespace pma::store {

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

template <typename... Args>
Status run(Database& db, std::string_view sql, const Args&... args) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind_all(args...);
  return stmt->run();
}

// The text column 0 of every row of a one-parameter query.
Result<std::vector<std::string>> texts(Database& db, std::string_view sql, std::string_view arg) {
  auto stmt = db.prepare(sql);
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind(1, arg);
  std::vector<std::string> out;
  for (;;) {
    auto row = stmt->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return out;
    out.push_back(stmt->column_text(0));
  }
}

// What a refund of the checkout still needs once the member is gone: the lines and the money.
void anonymise(v1::Quote& q) {
  q.clear_member_id();
  q.clear_points_to_earn();
  q.clear_points_burned();
  q.clear_points_balance_before();
  q.clear_points_balance_after();
  q.clear_coupons();
  q.clear_tier();
  q.clear_points_multiplier_percent();
  q.clear_bonus_reasons();
  q.clear_max_points_burnable();
  for (auto& d : *q.mutable_discounts()) {
    d.clear_label();
    d.clear_coupon_code();
    d.clear_points();
  }
}

// Rewrites the stored quote (and member_id column) of every checkout of member_id; `edit`
// changes a decoded quote and returns the new member_id.
template <typename Edit>
Status rewrite_checkouts(Database& db, std::string_view member_id, Edit edit) {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> rows;
  {
    auto stmt = db.prepare("SELECT txn_id, quote FROM checkout_txns WHERE member_id = ?1");
    if (!stmt) return std::unexpected(stmt.error());
    stmt->bind(1, member_id);
    for (;;) {
      auto row = stmt->step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      rows.emplace_back(stmt->column_text(0), stmt->column_blob(1));
    }
  }
  for (auto& [txn_id, blob] : rows) {
    v1::Quote q;
    if (!q.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return fail("checkout_record_corrupt",
                  fmt::format("stored checkout {} cannot be decoded", txn_id));
    }
    std::string new_member = edit(q);
    std::string bytes;
    q.SerializeToString(&bytes);
    auto update =
        db.prepare("UPDATE checkout_txns SET member_id = ?2, quote = ?3 WHERE txn_id = ?1");
    if (!update) return std::unexpected(update.error());
    update->bind(1, txn_id).bind(2, new_member).bind_blob(3, bytes_of(bytes));
    PMA_TRY(update->run());
  }
  return {};
}

// A job not printed yet is failed: printing it now would disclose the erased data again.
constexpr std::string_view kScrubJobs =
    "UPDATE print_queue SET payload = X'', "
    "last_error = CASE WHEN state IN ('queued', 'printing') THEN 'member_erased' "
    "ELSE last_error END, "
    "state = CASE WHEN state IN ('queued', 'printing') THEN 'failed' ELSE state END ";

}  // namespace

Status erase_member_rows(Database& db, std::string_view member_id) {
  auto masked = texts(db, "SELECT phone_masked FROM members WHERE member_id = ?1", member_id);
  if (!masked) return std::unexpected(masked.error());
  // The member's transactions, each with its kind: checkout and refund ids are both the POS's
  // own, from counters that may overlap, so a refund id can equal another customer's sale id.
  auto checkouts = texts(db,
                         "SELECT txn_id FROM checkout_txns WHERE member_id = ?1 UNION "
                         "SELECT txn_id FROM ledger WHERE member_id = ?1 AND kind NOT LIKE "
                         "'refund%'",
                         member_id);
  if (!checkouts) return std::unexpected(checkouts.error());
  auto refunds = texts(db,
                       "SELECT txn_id FROM ledger WHERE member_id = ?1 AND kind LIKE 'refund%' "
                       "UNION SELECT refund_id FROM refund_lines WHERE txn_id IN "
                       "(SELECT txn_id FROM checkout_txns WHERE member_id = ?1)",
                       member_id);
  if (!refunds) return std::unexpected(refunds.error());
  const std::string masked_phone = masked->empty() ? std::string() : masked->front();
  for (const std::string& txn : *checkouts) {
    PMA_TRY(run(db,
                "UPDATE idempotency SET request_hash = X'', response = X'' "
                "WHERE key = 'checkout:' || ?1",
                txn));
    PMA_TRY(run(db, fmt::format("{} WHERE idem_key IN (?1, 'receipt:' || ?1)", kScrubJobs), txn));
    // Receipts of this sale the POS queued under a key of its own choosing: still to print,
    // naming this sale and the member's masked phone ("138****5678"; ASCII in every receipt
    // encoding). Both, since a masked phone alone is shared by many members.
    if (masked_phone.size() >= 7) {
      auto stmt = db.prepare(
          fmt::format("{} WHERE state IN ('queued', 'printing') AND length(payload) > 0 AND "
                      "instr(payload, ?1) > 0 AND instr(payload, ?2) > 0",
                      kScrubJobs));
      if (!stmt) return std::unexpected(stmt.error());
      stmt->bind_blob(1, bytes_of(masked_phone)).bind_blob(2, bytes_of(txn));
      PMA_TRY(stmt->run());
    }
  }
  for (const std::string& refund : *refunds) {
    PMA_TRY(run(db,
                "UPDATE idempotency SET request_hash = X'', response = X'' "
                "WHERE key = 'refund:' || ?1",
                refund));
  }
  PMA_TRY(rewrite_checkouts(db, member_id, [](v1::Quote& q) {
    anonymise(q);
    return std::string();
  }));
  // Unreflected rows go too: nothing counts them any more, and left behind they would stay
  // unreflected for ever (HQ's pages no longer carry the member).
  PMA_TRY(run(db, "DELETE FROM ledger WHERE member_id = ?1", member_id));
  PMA_TRY(run(db, "DELETE FROM coupons WHERE member_id = ?1", member_id));
  return run(db, "DELETE FROM members WHERE member_id = ?1", member_id);
}

Status rename_member_rows(Database& db, std::string_view provisional_id,
                          std::string_view member_id) {
  PMA_TRY(
      run(db, "UPDATE ledger SET member_id = ?2 WHERE member_id = ?1", provisional_id, member_id));
  PMA_TRY(
      run(db, "UPDATE coupons SET member_id = ?2 WHERE member_id = ?1", provisional_id, member_id));
  return rewrite_checkouts(db, provisional_id, [&](v1::Quote& q) {
    q.set_member_id(std::string(member_id));
    return std::string(member_id);
  });
}

}  // namespace pma::store

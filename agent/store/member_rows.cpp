// The SQL here reaches into tables other modules own (idempotency, print_queue, ledger): erasure
// and id mapping must cover all of them in one transaction, and this is the one place that
// knows the whole list (tests/sync/till_erasure_test.cpp scans every column of every table for
// the member's data, so a table added later without being handled here fails it).
#include "agent/store/member_rows.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "agent/store/idempotency.h"
#include "pma/v1/checkout.pb.h"

namespace pma::store {

namespace {

// The text column 0 of every row of a one-parameter query.
Result<std::vector<std::string>> texts(Database& db, std::string_view sql, std::string_view arg) {
  PMA_TRY_ASSIGN(auto stmt, db.prepare(sql));
  stmt.bind(1, arg);
  std::vector<std::string> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) return out;
    out.push_back(stmt.column_text(0));
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

// The txn ids of member_id's checkouts: every member checkout writes an earn row (refund rows
// carry the refund's id, of kind refund_*).
Result<std::vector<std::string>> checkouts_of(Database& db, std::string_view member_id) {
  return texts(db,
               "SELECT DISTINCT txn_id FROM ledger WHERE member_id = ?1 AND kind NOT LIKE "
               "'refund%'",
               member_id);
}

// Rewrites the quote a refund of each of the checkouts txns finds (IdempotencyStore); `edit`
// changes a decoded quote. The replay response is left alone.
template <typename Edit>
Status rewrite_checkouts(Database& db, const std::vector<std::string>& txns, Edit edit) {
  IdempotencyStore records(db);
  for (const std::string& txn_id : txns) {
    PMA_TRY_ASSIGN(auto found, records.find_checkout(txn_id));
    if (!found) continue;
    edit(found->quote);
    PMA_TRY(records.set_checkout_quote(txn_id, found->quote));
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
  PMA_TRY_ASSIGN(auto masked,
                 texts(db, "SELECT phone_masked FROM members WHERE member_id = ?1", member_id));
  // The member's transactions, each with its kind: checkout and refund ids are both the POS's
  // own, from counters that may overlap, so a refund id can equal another customer's sale id.
  PMA_TRY_ASSIGN(auto checkouts, checkouts_of(db, member_id));
  PMA_TRY_ASSIGN(auto refunds,
                 texts(db,
                       "SELECT txn_id FROM ledger WHERE member_id = ?1 AND kind LIKE 'refund%' "
                       "UNION SELECT refund_id FROM refund_lines WHERE txn_id IN "
                       "(SELECT txn_id FROM ledger WHERE member_id = ?1 AND kind NOT LIKE "
                       "'refund%')",
                       member_id));
  // Before the records lose their responses, which hold the quotes.
  PMA_TRY(rewrite_checkouts(db, checkouts, anonymise));
  const std::string masked_phone = masked.empty() ? std::string() : masked.front();
  for (const std::string& txn : checkouts) {
    PMA_TRY(IdempotencyStore(db).forget_checkout(txn));
    PMA_TRY(run(db, fmt::format("{} WHERE idem_key IN (?1, 'receipt:' || ?1)", kScrubJobs), txn));
    // Receipts of this sale the POS queued under a key of its own choosing: still to print,
    // naming this sale and the member's masked phone ("138****5678"; ASCII in every receipt
    // encoding). Both, since a masked phone alone is shared by many members.
    if (masked_phone.size() >= 7) {
      PMA_TRY_ASSIGN(auto stmt,
                     db.prepare(fmt::format(
                         "{} WHERE state IN ('queued', 'printing') AND length(payload) > 0 AND "
                         "instr(payload, ?1) > 0 AND instr(payload, ?2) > 0",
                         kScrubJobs)));
      stmt.bind_blob(1, bytes_of(masked_phone)).bind_blob(2, bytes_of(txn));
      PMA_TRY(stmt.run());
    }
  }
  for (const std::string& refund : refunds) {
    PMA_TRY(run(db,
                "UPDATE idempotency SET request_hash = X'', response = X'' "
                "WHERE key = 'refund:' || ?1",
                refund));
  }
  // Unreflected rows go too: nothing counts them any more, and left behind they would stay
  // unreflected for ever (HQ's pages no longer carry the member).
  PMA_TRY(run(db, "DELETE FROM ledger WHERE member_id = ?1", member_id));
  PMA_TRY(run(db, "DELETE FROM coupons WHERE member_id = ?1", member_id));
  return run(db, "DELETE FROM members WHERE member_id = ?1", member_id);
}

Status rename_member_rows(Database& db, std::string_view provisional_id,
                          std::string_view member_id) {
  // Before the ledger rows, which find the checkouts, are renamed.
  PMA_TRY_ASSIGN(auto checkouts, checkouts_of(db, provisional_id));
  PMA_TRY(rewrite_checkouts(db, checkouts,
                            [&](v1::Quote& q) { q.set_member_id(std::string(member_id)); }));
  PMA_TRY(
      run(db, "UPDATE ledger SET member_id = ?2 WHERE member_id = ?1", provisional_id, member_id));
  return run(db, "UPDATE coupons SET member_id = ?2 WHERE member_id = ?1", provisional_id,
             member_id);
}

}  // namespace pma::store

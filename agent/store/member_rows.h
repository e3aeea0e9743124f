// Every row of the agent's database that names a member, across the tables of several modules,
// for the two operations that must reach all of them at once: erasure (PIPL) and HQ's mapping
// of a provisional id to a canonical one. Borrows the Database; thread-compatible.
#pragma once

#include <string_view>

#include "agent/store/sqlite.h"

namespace pma::store {

// Removes what this till holds about a member HQ has erased, inside the caller's (open)
// transaction, table by table (migrations.cpp):
// - members, coupons: the member's rows are deleted.
// - ledger: the member's rows are deleted, reflected or not (the balance they fed is gone with
//   the member; HQ still receives the points through the outbox deltas, and ignores them for an
//   erased member as "erased_member_activity").
// - idempotency: the records of the member's checkouts (found by the ledger's earn rows, before
//   those are deleted) and refunds keep their key (a replay must not commit twice) but lose
//   request and response (member id, phone, points); a replay is refused with "member_erased"
//   (checkout/replay.h). A checkout's record keeps, for refunds of the money, its quote
//   anonymised in the quote column: without its member part (member id, points, balances,
//   tier progress, bonus reasons, coupons), so a later refund books as a refund without member.
// - print_queue: jobs keyed by the member's transactions ("<txn>" or "receipt:<txn>") or whose
//   bytes show the member's masked phone lose their payload; such a job not printed yet is
//   failed with last_error "member_erased" (a receipt printed after the erasure would disclose
//   the data again).
// - outbox: the copy of a checkout's request and response kept in its row until HQ
//   acknowledges it is emptied with the idempotency record (IdempotencyStore::forget_checkout).
// - refund_lines, sync_state, outbox deltas: untouched. refund_lines names no member; the outbox
//   deltas not yet sent carry the member id (and amounts) and must still reach HQ (invariant 3);
//   they leave the database when HQ acknowledges them.
// Deleted and rewritten content is overwritten in the file (Database::open sets secure_delete).
// Errors: SQLite errors; "checkout_record_corrupt" for a stored quote that does not decode.
Status erase_member_rows(Database& db, std::string_view member_id);

// Moves every row of provisional_id to member_id, inside the caller's transaction: ledger,
// coupons, and the quote refunds of its checkouts find (the idempotency record's quote column,
// so a refund books under the canonical id). The members row itself is the caller's (it may
// merge into an existing one). The records' requests and responses keep the provisional id: a
// replay is compared byte for byte with the POS's request, which still names it, and returns
// the first response. Print jobs name no member id.
Status rename_member_rows(Database& db, std::string_view provisional_id,
                          std::string_view member_id);

}  // namespace pma::store

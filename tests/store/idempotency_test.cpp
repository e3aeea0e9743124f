// A checkout's replay record while its delta waits for HQ (in the outbox row) and after (in its
// idempotency row): found byte for byte either way, through renumbering and acknowledgement.
#include "agent/store/idempotency.h"

#include <catch2/catch.hpp>

#include "agent/store/member_store.h"
#include "agent/store/outbox.h"
#include "agent/store/sync_store_sqlite.h"
#include "tests/support/member_fixtures.h"

using namespace pma::store;
using pma::test::TillStoreFixture;

namespace {

std::int64_t scalar(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  return stmt->column_is_null(0) ? -1 : stmt->column_int64(0);
}

// Commits a checkout's delta with its replay record, as CheckoutService::commit does.
std::uint64_t commit(Database& db, const std::string& txn, const std::string& request,
                     const std::string& response) {
  auto tx = Transaction::begin(db);
  REQUIRE(tx);
  pma::v1::Delta delta;
  delta.set_txn_id(txn);
  auto seq = Outbox(db).append(delta, "checkout", request, response);
  REQUIRE(seq);
  REQUIRE(IdempotencyStore(db).put_in_outbox("checkout:" + txn, *seq, 7));
  REQUIRE(tx->commit());
  return *seq;
}

void check_record(Database& db, const std::string& txn, const std::string& request,
                  const std::string& response) {
  auto found = IdempotencyStore(db).find("checkout:" + txn);
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->request == request);
  CHECK((*found)->response == response);
  CHECK((*found)->created_at_ms == 7);
}

// A till store with two checkouts committed, S1 (seq 1) and S2 (seq 2), both still in the outbox.
struct TwoSales : TillStoreFixture {
  TwoSales() {
    commit(*db, "S1", "request-1", "response-1");
    commit(*db, "S2", "request-2", "response-2");
  }
};

}  // namespace

TEST_CASE_METHOD(
    TillStoreFixture,
    "A replay record moves from its outbox row to its own when HQ acknowledges the delta",
    "[store][idempotency]") {
  pma::v1::CommitResponse reply;
  reply.mutable_quote()->set_member_id("M1");
  const std::string response = reply.SerializeAsString();
  REQUIRE(commit(*db, "S1", "request-1", response) == 1);
  REQUIRE(commit(*db, "S2", "request-2", "response-2") == 2);
  check_record(*db, "S1", "request-1", response);
  CHECK(scalar(*db, "SELECT length(response) FROM idempotency WHERE key = 'checkout:S1'") == 0);
  CHECK(IdempotencyStore(*db).find_checkout("S1").value()->quote.member_id() == "M1");

  // A handshake with an HQ that holds seqs up to 10 moves both deltas past it: the records
  // follow.
  SqliteSyncStore sync(*db);
  REQUIRE(sync.on_handshake(10, {}));
  CHECK(scalar(*db, "SELECT outbox_seq FROM idempotency WHERE key = 'checkout:S1'") == 11);
  CHECK(scalar(*db, "SELECT outbox_seq FROM idempotency WHERE key = 'checkout:S2'") == 12);
  check_record(*db, "S1", "request-1", response);

  REQUIRE(sync.acknowledge(11, {}));
  CHECK(scalar(*db, "SELECT COUNT(*) FROM outbox") == 1);
  CHECK(scalar(*db, "SELECT outbox_seq FROM idempotency WHERE key = 'checkout:S1'") == -1);
  check_record(*db, "S1", "request-1", response);
  check_record(*db, "S2", "request-2", "response-2");
  CHECK(IdempotencyStore(*db).find_checkout("S1").value()->quote.member_id() == "M1");
  REQUIRE(sync.acknowledge(12, {}));
  check_record(*db, "S2", "request-2", "response-2");
  CHECK(Outbox(*db).next_seq().value() == 13);
}

TEST_CASE_METHOD(TwoSales, "forget_checkout empties a replay record in its outbox row and after",
                 "[store][idempotency]") {
  SqliteSyncStore sync(*db);
  REQUIRE(sync.acknowledge(1, {}));
  IdempotencyStore records(*db);
  REQUIRE(records.forget_checkout("S1"));  // acknowledged
  REQUIRE(records.forget_checkout("S2"));  // still in the outbox
  CHECK(scalar(*db,
               "SELECT COUNT(*) FROM outbox WHERE request IS NOT NULL OR response IS NOT NULL") ==
        0);
  check_record(*db, "S1", "", "");
  check_record(*db, "S2", "", "");
  // Acknowledged later, the delta leaves nothing behind.
  REQUIRE(sync.acknowledge(2, {}));
  check_record(*db, "S2", "", "");
  CHECK(scalar(*db,
               "SELECT COUNT(*) FROM idempotency WHERE length(request_hash) > 0 OR "
               "length(response) > 0") == 0);
}

TEST_CASE_METHOD(TillStoreFixture,
                 "A txn id with an embedded NUL keeps its replay record through the ack",
                 "[store][idempotency]") {
  // The POS's txn id is any UTF-8 string (JSON "\u0000" included); the triggers find the
  // record by 'checkout:' || txn_id, which must be the key the commit wrote, byte for byte.
  const std::string txn("S\0x", 3);
  REQUIRE(commit(*db, txn, "request-1", "response-1") == 1);
  REQUIRE(commit(*db, "S", "request-2", "response-2") == 2);
  SqliteSyncStore sync(*db);
  REQUIRE(sync.on_handshake(10, {}));
  check_record(*db, txn, "request-1", "response-1");
  REQUIRE(sync.acknowledge(12, {}));
  check_record(*db, txn, "request-1", "response-1");
  check_record(*db, "S", "request-2", "response-2");
}

TEST_CASE_METHOD(
    TwoSales,
    "A replay record pointing at another sale's outbox row never returns that sale's reply",
    "[store][idempotency]") {
  // A pointer gone astray (a bug, a hand-edited file): S1's record names S2's row.
  REQUIRE(db->exec("UPDATE idempotency SET outbox_seq = 2 WHERE key = 'checkout:S1'"));
  auto found = IdempotencyStore(*db).find("checkout:S1");
  REQUIRE(found);
  REQUIRE(*found);
  CHECK((*found)->response != "response-2");
  CHECK((*found)->request.empty());
  auto checkout = IdempotencyStore(*db).find_checkout("S1");
  CHECK_FALSE(checkout);  // checkout_record_corrupt, not S2's quote
}

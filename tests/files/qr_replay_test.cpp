// Item 16: the member-QR replay cache survives a restart (table qr_replay in agent.db, through
// codes::ReplayStore), holds only the accepted time steps, and the verifier refuses rather
// than accepts a code it could not record.
#include <catch2/catch.hpp>

#include "agent/store/member_store.h"
#include "agent/store/qr_replay_store.h"
#include "drivers/codes/member_qr.h"
#include "drivers/codes/member_qr_verifier.h"
#include "tests/support/temp_dir.h"

using namespace pma;

namespace {

constexpr std::int64_t kNow = 1'764'000'015;  // mid-step
const std::uint64_t kStep = codes::time_step_at(kNow);

codes::Ed25519PrivateKey new_key() {
  auto key = codes::Ed25519PrivateKey::generate();
  REQUIRE(key);
  return *key;
}

// A member app with its own key and a credential from `hq`, and the code it shows at a step.
struct App {
  codes::Ed25519PrivateKey key = new_key();
  codes::SignedCredential credential;
  App(const codes::Ed25519PrivateKey& hq, const std::string& member) {
    auto c = codes::issue_credential(hq, 1, member, key.public_key(), kNow + 86400);
    REQUIRE(c);
    credential = *c;
  }
  std::string qr(std::uint64_t step) const {
    auto text = codes::make_member_qr(credential, key, step);
    REQUIRE(text);
    return *text;
  }
};

// What memberd builds on start: the verifier over the store of the database at `path`.
struct Till {
  std::unique_ptr<store::Database> db;
  std::unique_ptr<store::QrReplayStore> replays;
  codes::MemberQrVerifier verifier;
  Till(const std::string& path, const codes::Ed25519PrivateKey& hq) {
    auto opened = store::open_store(path);
    REQUIRE(opened);
    db = std::move(*opened);
    replays = std::make_unique<store::QrReplayStore>(*db);
    verifier.set_replay_store(replays.get());
    REQUIRE(verifier.add_hq_key(1, hq.public_key()));
  }
};

std::string outcome(const Result<codes::VerifiedMember>& r) {
  return r ? std::string("accepted") : r.error().code;
}

}  // namespace

TEST_CASE("A member QR accepted before a restart is refused as replayed after it", "[files][qr]") {
  test::TempDir dir;
  auto hq = new_key();
  App app(hq, "M000123");
  const std::string code = app.qr(kStep);
  {
    Till till(dir.file("agent.db"), hq);
    CHECK(outcome(till.verifier.verify(code, kNow)) == "accepted");
  }  // memberd stops (or is killed: the record was committed before verify returned)
  Till restarted(dir.file("agent.db"), hq);
  CHECK(outcome(restarted.verifier.verify(code, kNow)) == "qr_replayed");
  CHECK(outcome(restarted.verifier.verify(code, kNow + 20)) == "qr_replayed");
  // The member's next code (the next step) is fine, once.
  CHECK(outcome(restarted.verifier.verify(app.qr(kStep + 1), kNow + 30)) == "accepted");
  CHECK(outcome(restarted.verifier.verify(app.qr(kStep + 1), kNow + 30)) == "qr_replayed");
}

TEST_CASE("The persisted replay cache keeps only codes of time steps that can still pass",
          "[files][qr]") {
  test::TempDir dir;
  auto hq = new_key();
  App first(hq, "M1"), second(hq, "M2"), third(hq, "M3");
  Till till(dir.file("agent.db"), hq);
  CHECK(outcome(till.verifier.verify(first.qr(kStep), kNow)) == "accepted");
  CHECK(outcome(till.verifier.verify(second.qr(kStep + 1), kNow + 30)) == "accepted");
  CHECK(*till.replays->size() == 2);
  // Two steps on, the first code is out of date everywhere: its row is dropped.
  CHECK(outcome(till.verifier.verify(third.qr(kStep + 2), kNow + 60)) == "accepted");
  CHECK(*till.replays->size() == 2);
  CHECK_FALSE(*till.replays->last_step(codes::credential_id(first.credential.credential), 0));
  CHECK(*till.replays->last_step(codes::credential_id(third.credential.credential), 0) ==
        kStep + 2);
}

TEST_CASE("A member QR is refused, not accepted unrecorded, when the replay store fails",
          "[files][qr]") {
  test::TempDir dir;
  auto hq = new_key();
  App app(hq, "M1");
  Till till(dir.file("agent.db"), hq);
  REQUIRE(till.db->exec("DROP TABLE qr_replay"));
  auto r = till.verifier.verify(app.qr(kStep), kNow);
  CHECK(outcome(r) == "qr_replay_store");
}

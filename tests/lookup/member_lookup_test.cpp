// One lookup path: the scan service and the lookup API classify a code once and resolve it
// through the same MemberLookup (and its one QR verifier), over a real SQLite file.
#include "agent/lookup/member_lookup.h"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <optional>
#include <vector>

#include "agent/api/member_api.h"
#include "agent/scan/scan_service.h"
#include "agent/store/migrations.h"
#include "drivers/codes/crypto.h"
#include "drivers/codes/member_qr.h"
#include "drivers/codes/member_qr_verifier.h"
#include "tests/support/temp_dir.h"

namespace {

namespace v1 = pma::v1;

constexpr std::int64_t kNow = 1'790'000'000;  // unix seconds

// A till's lookup stack as memberd wires it: one MemberLookup under both the scan service and
// the lookup API.
struct Lookups {
  explicit Lookups(pma::codes::CodeRules rules = {}) {
    auto opened = pma::store::open_store(dir.file("agent.db"));
    REQUIRE(opened);
    db = std::move(*opened);
    members = std::make_unique<pma::store::MemberStore>(*db, hasher);
    lookup = std::make_unique<pma::lookup::MemberLookup>(*members, verifier, std::move(rules));
    api = std::make_unique<pma::api::MemberApi>(
        pma::api::MemberApiContext{.db = *db,
                                   .members = *members,
                                   .lookup = *lookup,
                                   .store_id = "S1",
                                   .terminal_id = "T1",
                                   .version = "test",
                                   .now = [] { return kNow; }},
        spdlog::default_logger());
    scans = std::make_unique<pma::scan::ScanService>(
        *lookup,
        [this](v1::Event event) {
          events.push_back(std::move(event));
          return static_cast<std::uint64_t>(events.size());
        },
        [] { return kNow * 1000; }, spdlog::default_logger());
  }

  void add(const std::string& id, const std::string& card, const std::string& phone) {
    std::optional<std::string> normalised;
    if (!phone.empty()) normalised = phone;
    REQUIRE(members->upsert(
        {.member_id = id, .card_no = card, .phone = normalised, .hq_version = 1}, 1));
  }

  v1::ScanResult scan(const std::string& code) {
    scans->on_scan({.code = code, .symbology = "", .device = "front"});
    REQUIRE_FALSE(events.empty());
    return events.back().scan();
  }

  pma::Result<v1::LookupResponse> by_code(const std::string& code) {
    v1::LookupRequest request;
    request.set_code(code);
    return api->lookup(request);
  }

  pma::test::TempDir dir;
  std::unique_ptr<pma::store::Database> db;
  pma::PhoneHasher hasher{"lookup-test-key"};
  std::unique_ptr<pma::store::MemberStore> members;
  pma::codes::MemberQrVerifier verifier;
  std::unique_ptr<pma::lookup::MemberLookup> lookup;
  std::unique_ptr<pma::api::MemberApi> api;
  std::vector<v1::Event> events;
  std::unique_ptr<pma::scan::ScanService> scans;
};

}  // namespace

TEST_CASE("A scan and an API lookup of one code give the same member through one classification",
          "[lookup]") {
  Lookups t;
  // A card number that is also a phone number written 86...: a card by the [codes] rules. Another
  // member holds that phone. Guessing again (phone first) found the wrong customer.
  t.add("M-CARD", "8613812345678", "");
  t.add("M-PHONE", "8860000000000002", "13812345678");

  auto scanned = t.scan("8613812345678");
  CHECK(scanned.kind() == "card_number");
  REQUIRE(scanned.accepted());
  CHECK(scanned.member().member_id() == "M-CARD");
  CHECK(scanned.matched_by() == "card_no");

  auto typed = t.by_code("8613812345678");
  REQUIRE(typed);
  CHECK(typed->member().member_id() == "M-CARD");
  CHECK(typed->matched_by() == "card_no");
  CHECK(typed->member().SerializeAsString() == scanned.member().SerializeAsString());

  // The phone, written as a phone, is the other member, on both paths.
  auto phone_scan = t.scan("+86 138-1234-5678");
  CHECK(phone_scan.kind() == "phone");
  CHECK(phone_scan.member().member_id() == "M-PHONE");
  CHECK(phone_scan.matched_by() == "phone");
  auto phone_typed = t.by_code("+86 138-1234-5678");
  REQUIRE(phone_typed);
  CHECK(phone_typed->member().member_id() == "M-PHONE");
  CHECK(phone_typed->matched_by() == "phone");
}

TEST_CASE("A code classified as a phone is looked up as a phone only", "[lookup]") {
  Lookups t;
  // An 11-digit card number shaped like a mobile number: the rules say phone, so it is one.
  t.add("M1", "13912345678", "");
  auto scanned = t.scan("13912345678");
  CHECK(scanned.kind() == "phone");
  CHECK_FALSE(scanned.accepted());
  CHECK(scanned.reason_code() == "unknown_member");
  auto typed = t.by_code("13912345678");
  REQUIRE_FALSE(typed);
  CHECK(typed.error().code == "unknown_member");
  CHECK(typed.error().message == "no member with this phone number");
  // Named as a card number, it is found.
  v1::LookupRequest by_card;
  by_card.set_card_no("13912345678");
  auto found = t.api->lookup(by_card);
  REQUIRE(found);
  CHECK(found->member().member_id() == "M1");
}

TEST_CASE("A typed code the rules do not take for a member code is a card number or member id",
          "[lookup]") {
  Lookups t;
  t.add("M00000001", "C9001", "13700000001");
  // Neither is a card by the default rules (digits only, 8-20): the scanner refuses them...
  CHECK(t.scan("M00000001").kind() == "unrecognised");
  CHECK(t.scan("C9001").kind() == "unrecognised");
  // ...but store IT types ids and old cards into memberctl lookup.
  auto by_id = t.by_code("M00000001");
  REQUIRE(by_id);
  CHECK(by_id->matched_by() == "member_id");
  auto by_card = t.by_code(" C9001\r\n");
  REQUIRE(by_card);
  CHECK(by_card->matched_by() == "card_no");
  auto unknown = t.by_code("CPN-ABCD1234");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == "unknown_member");
  v1::LookupRequest empty;
  empty.set_code("  ");
  CHECK(t.api->lookup(empty).error().code == "invalid_request");
}

TEST_CASE("The scan path and the lookup API share one QR verifier and its replay cache",
          "[lookup][codes]") {
  Lookups t;
  t.add("M7", "8860000000000007", "");
  auto hq = pma::codes::Ed25519PrivateKey::generate().value();
  REQUIRE(t.verifier.add_hq_key(1, hq.public_key()));
  auto app = pma::codes::Ed25519PrivateKey::generate().value();
  auto credential =
      pma::codes::issue_credential(hq, 1, "M7", app.public_key(), kNow + 3600).value();
  const std::string qr =
      pma::codes::make_member_qr(credential, app, pma::codes::time_step_at(kNow)).value();

  auto scanned = t.scan(qr);
  CHECK(scanned.kind() == "member_qr");
  REQUIRE(scanned.accepted());
  CHECK(scanned.member().member_id() == "M7");
  CHECK(scanned.matched_by() == "member_qr");
  // The same code forwarded by the POS is the same credential at the same time step: a replay.
  auto again = t.by_code(qr);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == "qr_replayed");
}

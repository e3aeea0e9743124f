#include "drivers/codes/member_qr.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "drivers/codes/base45.h"
#include "drivers/codes/classify.h"
#include "drivers/codes/member_qr_verifier.h"
#include "pma/v1/member_code.pb.h"
#include "tests/support/temp_dir.h"

using namespace pma::codes;

namespace {

constexpr std::int64_t kNow = 1'764'000'015;  // mid-step, so +/-15 s stays in the same step
const std::uint64_t kStep = time_step_at(kNow);
constexpr std::int64_t kExpiry = kNow + 30 * 86400;

Ed25519PrivateKey new_key() {
  auto key = Ed25519PrivateKey::generate();
  REQUIRE(key);
  return *key;
}

// A member app with its own key and an HQ credential.
struct App {
  Ed25519PrivateKey key = new_key();
  SignedCredential credential;

  App(const Ed25519PrivateKey& hq, std::uint32_t key_id, const std::string& member_id,
      std::int64_t expiry = kExpiry) {
    auto c = issue_credential(hq, key_id, member_id, key.public_key(), expiry);
    REQUIRE(c);
    credential = *c;
  }
  std::string qr(std::uint64_t step) const {
    auto text = make_member_qr(credential, key, step);
    REQUIRE(text);
    return *text;
  }
};

// Builds a QR text from parts, for codes the minting functions refuse to make.
std::string assemble(const std::string& credential, const std::string& hq_signature,
                     std::uint64_t step, const std::string& app_signature) {
  pma::v1::MemberQrPayload payload;
  payload.set_credential(credential);
  payload.set_hq_signature(hq_signature);
  payload.set_time_step(step);
  payload.set_app_signature(app_signature);
  return std::string(kMemberQrPrefix) + base45_encode(payload.SerializeAsString());
}

std::string sign(const Ed25519PrivateKey& key, const std::string& message) {
  auto sig = key.sign(message);
  REQUIRE(sig);
  return *sig;
}

struct Till {
  Ed25519PrivateKey hq = new_key();
  MemberQrVerifier verifier;
  Till() { REQUIRE(verifier.add_hq_key(1, hq.public_key())); }
};

std::string code_of(const pma::Result<VerifiedMember>& r) {
  return r ? std::string("accepted") : r.error().code;
}

}  // namespace

TEST_CASE("A freshly drawn member QR verifies and names the member", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M000123456789");
  const std::string text = app.qr(kStep);

  auto r = till.verifier.verify(text, kNow);
  REQUIRE(r);
  CHECK(r->member_id == "M000123456789");
  CHECK(r->hq_key_id == 1);
  CHECK(r->time_step == kStep);
  CHECK(r->expires_at == kExpiry);
  CHECK(r->app_public_key == app.key.public_key().raw_bytes());
  CHECK(r->credential_id == credential_id(app.credential.credential));
  CHECK(r->credential_id.size() == 32);
}

TEST_CASE("Member QR text fits a QR code's alphanumeric mode", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M000123456789");
  const std::string text = app.qr(kStep);
  CHECK(text.starts_with("PMA1:"));
  for (const char c : text) {
    INFO(static_cast<int>(c));
    CHECK(kBase45Alphabet.find(c) != std::string_view::npos);
  }
  // Version 11-M holds 366 alphanumeric characters.
  CHECK(text.size() <= 366);
}

TEST_CASE("The till accepts the time step within one step either side", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M1");
  SECTION("one step old") {
    CHECK(code_of(till.verifier.verify(app.qr(kStep - 1), kNow)) == "accepted");
  }
  SECTION("one step ahead") {
    CHECK(code_of(till.verifier.verify(app.qr(kStep + 1), kNow)) == "accepted");
  }
  SECTION("two steps old") {
    auto r = till.verifier.verify(app.qr(kStep - 2), kNow);
    CHECK(code_of(r) == "qr_time_step");
    CHECK(r.error().message.find("refresh") != std::string::npos);
  }
  SECTION("two steps ahead") {
    auto r = till.verifier.verify(app.qr(kStep + 2), kNow);
    CHECK(code_of(r) == "qr_time_step");
    CHECK(r.error().message.find("refresh") != std::string::npos);
  }
  SECTION("a step at the end of time does not wrap around") {
    auto r = till.verifier.verify(app.qr(UINT64_MAX), kNow);
    CHECK(code_of(r) == "qr_time_step");
    CHECK(r.error().message.find("ahead") != std::string::npos);
  }
  SECTION("an hour old") {
    CHECK(code_of(till.verifier.verify(app.qr(kStep - 120), kNow)) == "qr_time_step");
  }
}

TEST_CASE("An expired credential is rejected", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M1", kNow + 10);
  CHECK(code_of(till.verifier.verify(app.qr(kStep), kNow + 9)) == "accepted");
  auto r = till.verifier.verify(app.qr(kStep), kNow + 10);
  CHECK(code_of(r) == "qr_expired");
  CHECK(r.error().message.find("expired") != std::string::npos);
}

TEST_CASE("A credential not signed by the HQ key it names is forged", "[codes][qr]") {
  Till till;
  SECTION("signed by another key under a trusted key id") {
    const auto impostor = new_key();
    App app(impostor, 1, "M1");
    CHECK(code_of(till.verifier.verify(app.qr(kStep), kNow)) == "qr_forged");
  }
  SECTION("a genuine credential with its member id changed") {
    App app(till.hq, 1, "M1");
    pma::v1::MemberCredential c;
    REQUIRE(c.ParseFromString(app.credential.credential));
    c.set_member_id("M2");
    const std::string tampered = c.SerializeAsString();
    // The app signature is valid for the tampered bytes: only HQ's signature catches it.
    const std::string text = assemble(tampered, app.credential.hq_signature, kStep,
                                      sign(app.key, app_signed_message(tampered, kStep)));
    auto r = till.verifier.verify(text, kNow);
    CHECK(code_of(r) == "qr_forged");
    CHECK(r.error().message.find("not genuine") != std::string::npos);
  }
  SECTION("a genuine credential with its expiry extended") {
    App app(till.hq, 1, "M1");
    pma::v1::MemberCredential c;
    REQUIRE(c.ParseFromString(app.credential.credential));
    c.set_expires_at(c.expires_at() + 365 * 86400);
    const std::string tampered = c.SerializeAsString();
    const std::string text = assemble(tampered, app.credential.hq_signature, kStep,
                                      sign(app.key, app_signed_message(tampered, kStep)));
    CHECK(code_of(till.verifier.verify(text, kNow)) == "qr_forged");
  }
}

TEST_CASE("A code not signed by the credential's app key is rejected", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M1");
  SECTION("signed by another app's key (a stolen credential)") {
    const auto thief = new_key();
    const std::string text =
        assemble(app.credential.credential, app.credential.hq_signature, kStep,
                 sign(thief, app_signed_message(app.credential.credential, kStep)));
    CHECK(code_of(till.verifier.verify(text, kNow)) == "qr_app_signature_bad");
  }
  SECTION("an old signature with the time step moved forward") {
    const std::string text =
        assemble(app.credential.credential, app.credential.hq_signature, kStep,
                 sign(app.key, app_signed_message(app.credential.credential, kStep - 10)));
    CHECK(code_of(till.verifier.verify(text, kNow)) == "qr_app_signature_bad");
  }
}

TEST_CASE("The same code cannot be used twice", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M1");
  const std::string text = app.qr(kStep);
  REQUIRE(till.verifier.verify(text, kNow));
  SECTION("the same step again") {
    auto r = till.verifier.verify(text, kNow + 5);
    CHECK(code_of(r) == "qr_replayed");
    CHECK(r.error().message.find("already used") != std::string::npos);
  }
  SECTION("an earlier step after a later one") {
    CHECK(code_of(till.verifier.verify(app.qr(kStep - 1), kNow)) == "qr_replayed");
  }
  SECTION("the next step is a fresh code") {
    CHECK(code_of(till.verifier.verify(app.qr(kStep + 1), kNow + 30)) == "accepted");
    CHECK(code_of(till.verifier.verify(app.qr(kStep + 1), kNow + 30)) == "qr_replayed");
  }
  SECTION("a rejected code is not recorded") {
    App other(till.hq, 1, "M2");
    CHECK(code_of(till.verifier.verify(other.qr(kStep + 3), kNow)) == "qr_time_step");
    CHECK(code_of(till.verifier.verify(other.qr(kStep), kNow)) == "accepted");
  }
}

TEST_CASE("The replay cache stays bounded and forgets codes that can no longer pass",
          "[codes][qr]") {
  Till till;
  MemberQrVerifier small(2);
  REQUIRE(small.add_hq_key(1, till.hq.public_key()));
  App a(till.hq, 1, "A"), b(till.hq, 1, "B"), c(till.hq, 1, "C");
  REQUIRE(small.verify(a.qr(kStep), kNow));
  REQUIRE(small.verify(b.qr(kStep), kNow));
  REQUIRE(small.verify(c.qr(kStep), kNow));
  CHECK(small.replay_entries() == 2);
  // Two steps later every entry is outside the window and is dropped.
  REQUIRE(small.verify(a.qr(kStep + 2), kNow + 60));
  CHECK(small.replay_entries() == 1);
  CHECK(code_of(small.verify(a.qr(kStep + 2), kNow + 60)) == "qr_replayed");
}

TEST_CASE("Revoked credentials are rejected", "[codes][qr]") {
  Till till;
  App lost_phone(till.hq, 1, "M1");
  App new_phone(till.hq, 1, "M1");
  SECTION("by credential id") {
    till.verifier.revoke_credential(credential_id(lost_phone.credential.credential));
  }
  SECTION("by member and app key") {
    till.verifier.revoke_app_key("M1", lost_phone.key.public_key().raw_bytes());
  }
  auto r = till.verifier.verify(lost_phone.qr(kStep), kNow);
  CHECK(code_of(r) == "qr_revoked");
  CHECK(code_of(till.verifier.verify(new_phone.qr(kStep), kNow)) == "accepted");
}

TEST_CASE("HQ keys rotate by key id", "[codes][qr]") {
  Till till;
  const auto hq2 = new_key();
  App old_app(till.hq, 1, "M1");
  App new_app(hq2, 2, "M2");
  CHECK(code_of(till.verifier.verify(new_app.qr(kStep), kNow)) == "qr_unknown_key");
  REQUIRE(till.verifier.add_hq_key(2, hq2.public_key()));
  CHECK(code_of(till.verifier.verify(old_app.qr(kStep), kNow)) == "accepted");
  CHECK(code_of(till.verifier.verify(new_app.qr(kStep), kNow)) == "accepted");

  till.verifier.remove_hq_key(1);
  auto r = till.verifier.verify(old_app.qr(kStep + 1), kNow);
  CHECK(code_of(r) == "qr_unknown_key");
  CHECK(r.error().message.find("key 1") != std::string::npos);

  SECTION("a key id cannot be rebound to another key") {
    auto rebind = till.verifier.add_hq_key(2, new_key().public_key());
    REQUIRE_FALSE(rebind);
    CHECK(rebind.error().code == "invalid_argument");
    CHECK(till.verifier.add_hq_key(2, hq2.public_key()));  // same key again is harmless
    CHECK_FALSE(till.verifier.add_hq_key(0, hq2.public_key()));
  }
}

TEST_CASE("Damaged or foreign text is malformed, with a reason", "[codes][qr]") {
  Till till;
  App app(till.hq, 1, "M1");
  const std::string text = app.qr(kStep);
  auto check = [&](const std::string& scanned, std::string_view detail) {
    auto r = till.verifier.verify(scanned, kNow);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "qr_malformed");
    CHECK(r.error().message.find("scan again") != std::string::npos);
    INFO(r.error().message);
    CHECK(r.error().message.find(detail) != std::string::npos);
    // Never echoes the scanned text.
    CHECK(r.error().message.find(text.substr(5, 12)) == std::string::npos);
  };
  SECTION("truncated by one character") { check(text.substr(0, text.size() - 1), ""); }
  SECTION("truncated to whole bytes") {
    // Drop the last full group and any final pair: valid Base45, a payload cut short.
    const std::size_t body = text.size() - kMemberQrPrefix.size();
    check(text.substr(0, kMemberQrPrefix.size() + (body / 3 - 1) * 3), "not a member code payload");
  }
  SECTION("cut in half") { check(text.substr(0, text.size() / 2), ""); }
  SECTION("a character garbled to lower case") {
    std::string garbled = text;
    garbled[20] = 'a';
    check(garbled, "position 20");
  }
  SECTION("a wrong prefix") {
    check("PMA2:" + text.substr(5), "not a PMA1 member code");
    check(text.substr(5), "not a PMA1 member code");
  }
  SECTION("an empty payload") { check("PMA1:", "credential missing"); }
  SECTION("a payload without its app signature") {
    check(assemble(app.credential.credential, app.credential.hq_signature, kStep, ""),
          "app signature missing");
  }
  SECTION("a credential without an app key") {
    pma::v1::MemberCredential c;
    REQUIRE(c.ParseFromString(app.credential.credential));
    c.clear_app_public_key();
    check(assemble(c.SerializeAsString(), app.credential.hq_signature, kStep, std::string(64, 'x')),
          "app key missing");
  }
  SECTION("far too long") { check(text + std::string(2000, '0'), "characters"); }
}

TEST_CASE("Minting refuses credentials a till would reject", "[codes][qr]") {
  const auto hq = new_key();
  const auto app = new_key();
  CHECK_FALSE(issue_credential(hq, 0, "M1", app.public_key(), kExpiry));
  CHECK_FALSE(issue_credential(hq, 1, "", app.public_key(), kExpiry));
  CHECK_FALSE(issue_credential(hq, 1, "M 1", app.public_key(), kExpiry));
  CHECK_FALSE(issue_credential(hq, 1, std::string(65, 'M'), app.public_key(), kExpiry));
  CHECK_FALSE(issue_credential(hq, 1, "M1", app.public_key(), 0));
  CHECK(issue_credential(hq, 1, std::string(64, 'M'), app.public_key(), kExpiry));
}

TEST_CASE("Time steps are 30 s wide and the app signs credential then big-endian step",
          "[codes][qr]") {
  CHECK(time_step_at(0) == 0);
  CHECK(time_step_at(-5) == 0);
  CHECK(time_step_at(29) == 0);
  CHECK(time_step_at(30) == 1);
  CHECK(time_step_at(1'764'000'000) == 58'800'000);
  CHECK(app_signed_message("ab", 0x0102030405060708ULL) ==
        std::string("ab\x01\x02\x03\x04\x05\x06\x07\x08", 10));
}

TEST_CASE("A code minted with HQ's key file is classified and verified with its public file",
          "[codes][qr]") {
  pma::test::TempDir dir;
  REQUIRE(new_key().write_pem_file(dir.file("hq-7.pem")));
  auto hq = Ed25519PrivateKey::load_pem_file(dir.file("hq-7.pem"));
  REQUIRE(hq);
  REQUIRE(hq->public_key().write_pem_file(dir.file("hq-7.pub.pem")));

  App app(*hq, 7, "M42");
  // A keyboard-wedge scanner appends CR LF; classification trims it and keeps inner spaces.
  auto code = classify_code(app.qr(kStep) + "\r\n");
  REQUIRE(code);
  REQUIRE(code->kind == CodeKind::member_qr);

  MemberQrVerifier verifier;
  auto pub = Ed25519PublicKey::load_pem_file(dir.file("hq-7.pub.pem"));
  REQUIRE(pub);
  REQUIRE(verifier.add_hq_key(7, *pub));
  auto member = verifier.verify(code->value, kNow);
  REQUIRE(member);
  CHECK(member->member_id == "M42");
  CHECK(member->hq_key_id == 7);
}

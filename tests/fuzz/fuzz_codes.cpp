// Fuzz target: what a scanned string is (codes/classify.h), Base45 (codes/base45.h) and the
// dynamic member QR (codes/member_qr.h, member_qr_verifier.h) with fixed keys (fuzz_keys.h).
// Properties: no throw; rejections carry their documented code and never echo the scan;
// Base45 round-trips both ways; a parsed member QR re-encodes to a text that parses to the
// same fields; a code that verifies carries exactly the credential HQ signed.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "drivers/codes/base45.h"
#include "drivers/codes/classify.h"
#include "drivers/codes/member_qr.h"
#include "drivers/codes/member_qr_verifier.h"
#include "pma/v1/member_code.pb.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_keys.h"

namespace {

using pma::fuzz::check;
using pma::fuzz::check_error;
using namespace pma::codes;

struct Keys {
  Ed25519PrivateKey hq;
  Ed25519PrivateKey app;
  std::string credential;  // the one credential HQ signed
};

const Keys& keys() {
  static const Keys k = [] {
    auto hq = Ed25519PrivateKey::from_pem(pma::fuzz::kHqPrivateKeyPem);
    auto app = Ed25519PrivateKey::from_pem(pma::fuzz::kAppPrivateKeyPem);
    check(hq && app, "the fixed fuzz keys do not load");
    auto signed_credential = issue_credential(*hq, pma::fuzz::kHqKeyId, pma::fuzz::kMemberId,
                                              app->public_key(), pma::fuzz::kExpiresAt);
    check(signed_credential.has_value(), "cannot issue the fuzz credential");
    return Keys{*hq, *app, signed_credential->credential};
  }();
  return k;
}

// The text does not appear in the message (it may be a phone number).
void check_no_echo(std::string_view text, const std::string& message, std::string_view where) {
  if (text.size() >= 8) {
    check(message.find(text) == std::string::npos,
          fmt::format("{}: the message echoes the input", where));
  }
}

void fuzz_classify(std::string_view text, const CodeRules& rules) {
  auto code = classify_code(text, rules);
  if (!code) {
    check_error(code.error(), {"code_unrecognised"}, "classify_code");
    check_no_echo(text, code.error().message, "classify_code");
    return;
  }
  check(!code->value.empty(), "a classified code is empty");
  check(text.find(code->value) != std::string_view::npos, "the value is not the trimmed scan");
  switch (code->kind) {
    case CodeKind::member_qr:
      check(code->value.starts_with(kMemberQrPrefix), "member_qr without its prefix");
      break;
    case CodeKind::coupon:
      check(code->value.starts_with(rules.coupon_prefix), "coupon without its prefix");
      break;
    case CodeKind::card_number:
      check(code->value.starts_with(rules.card_prefix), "card without its prefix");
      break;
    case CodeKind::phone:
      break;
  }
}

void fuzz_base45(std::string_view text) {
  auto decoded = base45_decode(text);
  if (decoded) {
    check(base45_encode(*decoded) == text, "encode(decode(x)) != x");
  } else {
    check_error(decoded.error(), {"base45_invalid"}, "base45_decode");
    for (char c : decoded.error().message) {
      check(static_cast<unsigned char>(c) >= 0x20, "a Base45 message carries a control byte");
    }
  }
  auto round = base45_decode(base45_encode(text));
  check(round && *round == text, "decode(encode(x)) != x");
}

void fuzz_member_qr(std::string_view text) {
  auto parsed = parse_member_qr(text);
  if (!parsed) {
    check_error(parsed.error(), {"qr_malformed"}, "parse_member_qr");
    check_no_echo(text, parsed.error().message, "parse_member_qr");
  } else {
    // Re-encode the parsed fields; the result parses to the same thing.
    pma::v1::MemberQrPayload payload;
    payload.set_credential(parsed->credential);
    payload.set_hq_signature(parsed->hq_signature);
    payload.set_time_step(parsed->time_step);
    payload.set_app_signature(parsed->app_signature);
    auto again =
        parse_member_qr(std::string(kMemberQrPrefix) + base45_encode(payload.SerializeAsString()));
    check(again.has_value(), "a parsed member QR does not re-encode");
    check(again->credential == parsed->credential && again->time_step == parsed->time_step &&
              again->member_id == parsed->member_id &&
              again->app_public_key == parsed->app_public_key &&
              again->expires_at == parsed->expires_at && again->hq_key_id == parsed->hq_key_id,
          "a re-encoded member QR parses to other fields");
  }
  MemberQrVerifier verifier;
  check(verifier.add_hq_key(pma::fuzz::kHqKeyId, keys().hq.public_key()).has_value(),
        "cannot add the HQ key");
  auto verified = verifier.verify(text, pma::fuzz::kNow);
  if (!verified) {
    check_error(verified.error(),
                {"qr_malformed", "qr_unknown_key", "qr_forged", "qr_revoked", "qr_expired",
                 "qr_app_signature_bad", "qr_time_step", "qr_replayed"},
                "verify");
    check_no_echo(text, verified.error().message, "verify");
    check(parsed || verified.error().code == "qr_malformed",
          "verify did not report a malformed code as qr_malformed");
    return;
  }
  check(parsed.has_value(), "verify accepted a code parse_member_qr rejects");
  check(parsed->credential == keys().credential, "verify accepted a credential HQ never signed");
  check(verified->member_id == pma::fuzz::kMemberId, "verified member id differs");
  auto replay = verifier.verify(text, pma::fuzz::kNow);
  check(!replay && replay.error().code == "qr_replayed", "the same code verified twice");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = pma::fuzz::as_text(data, size);
  fuzz_classify(text, CodeRules{});
  CodeRules strict;
  strict.card_prefix = "M";
  strict.card_digits_only = false;
  strict.phone_enabled = false;
  strict.coupon_prefix = "C";
  strict.coupon_min_length = 1;
  fuzz_classify(text, strict);
  fuzz_base45(text);
  fuzz_member_qr(text);
  return 0;
}

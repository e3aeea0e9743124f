#include "drivers/codes/member_qr.h"

#include <fmt/format.h>

#include "drivers/codes/base45.h"
#include "pma/v1/member_code.pb.h"

namespace pma::codes {
namespace {

// Every rejection reads the same way to the cashier; the detail after it is for the log.
std::unexpected<Error> malformed(std::string_view detail) {
  return fail("qr_malformed", fmt::format("Member code unreadable, scan again ({})", detail));
}

bool printable_ascii(std::string_view s) {
  for (const char c : s) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string_view member_id_problem(std::string_view member_id) {
  if (member_id.empty()) return "member id missing";
  if (member_id.size() > kMaxMemberIdLength) return "member id too long";
  if (!printable_ascii(member_id)) return "member id not printable ASCII";
  return {};
}

}  // namespace

std::uint64_t time_step_at(std::int64_t unix_seconds) {
  return unix_seconds <= 0 ? 0 : static_cast<std::uint64_t>(unix_seconds / kTimeStepSeconds);
}

std::string app_signed_message(std::string_view credential, std::uint64_t time_step) {
  std::string message(credential);
  for (int shift = 56; shift >= 0; shift -= 8) {
    message.push_back(static_cast<char>((time_step >> shift) & 0xff));
  }
  return message;
}

std::string credential_id(std::string_view credential) {
  const Sha256Digest digest = sha256(credential);
  return to_hex(std::string_view(reinterpret_cast<const char*>(digest.data()), 16));
}

Result<ParsedMemberQr> parse_member_qr(std::string_view scanned) {
  if (!scanned.starts_with(kMemberQrPrefix)) return malformed("not a PMA1 member code");
  if (scanned.size() > kMaxMemberQrLength) {
    return malformed(fmt::format("{} characters, at most {}", scanned.size(), kMaxMemberQrLength));
  }
  // Positions in the message count from the start of the scanned text, prefix included.
  auto bytes = base45_decode(scanned.substr(kMemberQrPrefix.size()), kMemberQrPrefix.size());
  if (!bytes) return malformed(bytes.error().message);
  v1::MemberQrPayload payload;
  if (!payload.ParseFromString(*bytes)) return malformed("not a member code payload");
  if (payload.credential().empty()) return malformed("credential missing");
  if (payload.hq_signature().size() != kEd25519SignatureSize) {
    return malformed("HQ signature missing or wrong size");
  }
  if (payload.time_step() == 0) return malformed("time step missing");
  if (payload.app_signature().size() != kEd25519SignatureSize) {
    return malformed("app signature missing or wrong size");
  }
  v1::MemberCredential credential;
  if (!credential.ParseFromString(payload.credential())) {
    return malformed("credential is not a MemberCredential");
  }
  if (auto problem = member_id_problem(credential.member_id()); !problem.empty()) {
    return malformed(problem);
  }
  if (credential.app_public_key().size() != kEd25519PublicKeySize) {
    return malformed("app key missing or wrong size");
  }
  if (credential.expires_at() <= 0) return malformed("expiry missing");
  if (credential.hq_key_id() == 0) return malformed("HQ key id missing");

  ParsedMemberQr parsed;
  parsed.credential = std::move(*payload.mutable_credential());
  parsed.hq_signature = std::move(*payload.mutable_hq_signature());
  parsed.time_step = payload.time_step();
  parsed.app_signature = std::move(*payload.mutable_app_signature());
  parsed.member_id = std::move(*credential.mutable_member_id());
  parsed.app_public_key = std::move(*credential.mutable_app_public_key());
  parsed.expires_at = credential.expires_at();
  parsed.hq_key_id = credential.hq_key_id();
  return parsed;
}

Result<SignedCredential> issue_credential(const Ed25519PrivateKey& hq_private_key,
                                          std::uint32_t key_id, std::string_view member_id,
                                          const Ed25519PublicKey& app_public_key,
                                          std::int64_t expires_at) {
  if (key_id == 0) return fail("invalid_argument", "HQ key ids start at 1");
  if (auto problem = member_id_problem(member_id); !problem.empty()) {
    return fail("invalid_argument", std::string(problem));
  }
  if (expires_at <= 0) return fail("invalid_argument", "expiry must be after 1970");
  v1::MemberCredential credential;
  credential.set_member_id(std::string(member_id));
  credential.set_app_public_key(app_public_key.raw_bytes());
  credential.set_expires_at(expires_at);
  credential.set_hq_key_id(key_id);
  SignedCredential out;
  if (!credential.SerializeToString(&out.credential)) {
    return fail("crypto_error", "cannot serialise the credential");
  }
  PMA_TRY_ASSIGN(auto signature, hq_private_key.sign(out.credential));
  out.hq_signature = std::move(signature);
  return out;
}

Result<std::string> make_member_qr(const SignedCredential& credential,
                                   const Ed25519PrivateKey& app_private_key,
                                   std::uint64_t time_step) {
  PMA_TRY_ASSIGN(auto signature,
                 app_private_key.sign(app_signed_message(credential.credential, time_step)));
  v1::MemberQrPayload payload;
  payload.set_credential(credential.credential);
  payload.set_hq_signature(credential.hq_signature);
  payload.set_time_step(time_step);
  payload.set_app_signature(std::move(signature));
  std::string bytes;
  if (!payload.SerializeToString(&bytes)) {
    return fail("crypto_error", "cannot serialise the member QR payload");
  }
  return std::string(kMemberQrPrefix) + base45_encode(bytes);
}

}  // namespace pma::codes

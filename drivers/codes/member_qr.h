// The dynamic member QR: its text format, parsing (pure) and minting (HQ and the member app).
// Free functions, thread-safe; keys are immutable and may be shared.
//
// Format (version 1), as scanned:
//
//   text      = "PMA1:" + Base45(payload)                       (RFC 9285 alphabet, upper case)
//   payload   = pma.v1.MemberQrPayload, Protobuf binary          (proto/pma/v1/member_code.proto)
//     1 credential    bytes   serialised pma.v1.MemberCredential, exactly as HQ signed it
//     2 hq_signature  bytes   Ed25519 (64 bytes) by HQ key `hq_key_id` over `credential`
//     3 time_step     uint64  floor(unix_seconds / 30) on the phone when the code was drawn
//     4 app_signature bytes   Ed25519 (64 bytes) by the app key over
//                             credential || time_step as 8 bytes big-endian
//   credential = pma.v1.MemberCredential
//     1 member_id       string  HQ member id, 1..64 printable ASCII characters
//     2 app_public_key  bytes   the app's raw Ed25519 public key (32 bytes)
//     3 expires_at      int64   unix seconds; rejected at and after this instant
//     4 hq_key_id       uint32  which HQ key signed it; ids start at 1
//
// A credential id (for revocation lists) is the lower-case hex of the first 16 bytes of
// SHA-256(credential bytes). A 12-character member id gives ~195 payload bytes, ~300
// characters of text: a version 11-M QR code in alphanumeric mode (capacity 366).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "drivers/codes/crypto.h"
#include "pma/error.h"

namespace pma::codes {

inline constexpr std::string_view kMemberQrPrefix = "PMA1:";
inline constexpr std::int64_t kTimeStepSeconds = 30;
inline constexpr std::size_t kMaxMemberIdLength = 64;
// Longer scans are rejected before decoding anything.
inline constexpr std::size_t kMaxMemberQrLength = 1024;

// floor(unix_seconds / 30); 0 for instants before 1970.
std::uint64_t time_step_at(std::int64_t unix_seconds);

// What HQ hands to a member app: the credential's bytes and HQ's signature over them.
struct SignedCredential {
  std::string credential;    // serialised pma.v1.MemberCredential
  std::string hq_signature;  // 64 bytes
};

// A member QR taken apart and checked for shape, but NOT verified: nothing in it is trusted
// until MemberQrVerifier has checked both signatures.
struct ParsedMemberQr {
  std::string credential;  // the signed bytes
  std::string hq_signature;
  std::uint64_t time_step = 0;
  std::string app_signature;
  // Fields of `credential`.
  std::string member_id;
  std::string app_public_key;  // 32 bytes
  std::int64_t expires_at = 0;
  std::uint32_t hq_key_id = 0;
};

// Parses the scanned text. Fails with "qr_malformed" (wrong prefix, too long, bad Base45 with
// its position, not a payload, a missing or mis-sized field); the message is short enough to
// show a cashier and never echoes the scanned text.
Result<ParsedMemberQr> parse_member_qr(std::string_view scanned);

// The bytes the app signs: credential || big-endian 8-byte time step.
std::string app_signed_message(std::string_view credential, std::uint64_t time_step);

// Lower-case hex of the first 16 bytes of SHA-256(credential).
std::string credential_id(std::string_view credential);

// HQ side: builds and signs a credential. Fails with "invalid_argument" (key id 0, member id
// empty, too long or not printable ASCII) or "crypto_error".
Result<SignedCredential> issue_credential(const Ed25519PrivateKey& hq_private_key,
                                          std::uint32_t key_id, std::string_view member_id,
                                          const Ed25519PublicKey& app_public_key,
                                          std::int64_t expires_at);

// App side: the text to show as a QR code for `time_step`. Fails with "crypto_error".
Result<std::string> make_member_qr(const SignedCredential& credential,
                                   const Ed25519PrivateKey& app_private_key,
                                   std::uint64_t time_step);

}  // namespace pma::codes

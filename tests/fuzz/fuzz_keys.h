// Fixed Ed25519 keys and instants for the member QR fuzz target and its seeds: Ed25519
// signatures are deterministic, so every seed (and every failure) is reproducible.
// Test keys only, generated for this purpose; constants, thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace pma::fuzz {

inline constexpr std::string_view kHqPrivateKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIBvgxclwI/drxnKesyKVM8IE6yGLM7dFEKlziteMieFB\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::string_view kAppPrivateKeyPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEINnpkTDtjkiv52d85uvTPg7wAjpCTggvQfle+iXnNfeh\n"
    "-----END PRIVATE KEY-----\n";
inline constexpr std::uint32_t kHqKeyId = 7;
inline constexpr std::int64_t kNow = 1'760'000'000;        // the till's clock in the target
inline constexpr std::int64_t kExpiresAt = 1'760'086'400;  // a day later
inline constexpr std::string_view kMemberId = "M0000042";

}  // namespace pma::fuzz

// Mainland China mobile numbers: normalisation, masking and the keyed hash the cache stores.
// Pure functions apart from PhoneHasher, which holds its key; all are thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::store {

// Accepts "13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "86 13812345678".
// Returns the 11 digits, or "invalid_phone" with the reason (never echoing the input, since
// it may be a real number).
Result<std::string> normalize_phone(std::string_view input);

// "138****5678" for a normalised number.
std::string mask_phone(std::string_view normalized);

using PhoneHash = std::array<std::uint8_t, 32>;

// HMAC-SHA256 of the normalised number under a per-chain secret, so a stolen cache cannot be
// reversed by enumerating the ~1.3 billion possible numbers without the key.
class PhoneHasher {
 public:
  explicit PhoneHasher(std::string key) : key_(std::move(key)) {}
  PhoneHash hash(std::string_view normalized) const;

 private:
  std::string key_;
};

}  // namespace pma::store

// The one rule for mainland China mobile numbers, shared by the till and HQ: what a written
// number is (normalize_phone), its masked form (mask_phone) and the keyed hash both ends store
// and compare byte for byte (PhoneHasher). A member imported at HQ is found by phone at a till
// only because both call these. Pure functions apart from PhoneHasher, which holds its key;
// all are thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma {

// What normalize_phone skips between digit groups: space, tab, '-', '(' and ')'.
// Log redaction (agent/log) reads a written number in free text with the same set.
bool is_phone_separator(char c);

// Digits in the longest form normalize_phone accepts: "0086" + 11.
inline constexpr std::size_t kMaxPhoneDigits = 15;

// Accepts "13812345678", "+86 138 1234 5678", "0086-138-1234-5678", "86 13812345678",
// "(+86) 138...": digits and separators, with at most one '+', before any digit, which must be
// followed by 86. Returns the 11 digits (1, then 3..9, then 9 more), or "invalid_phone" with the
// reason (never echoing the input, since it may be a real number).
Result<std::string> normalize_phone(std::string_view input);

// "138****5678" for a normalised number; as many '*' as it has characters for anything else.
std::string mask_phone(std::string_view normalized);

using PhoneHash = std::array<std::uint8_t, 32>;

// HMAC-SHA256 of the normalised number (its 11 ASCII digits) under the chain's phone-hash key,
// so a stolen cache cannot be reversed by enumerating the ~1.3 billion possible numbers without
// the key. Tills and HQ must hash identically: a changed byte breaks every phone lookup.
class PhoneHasher {
 public:
  explicit PhoneHasher(std::string key) : key_(std::move(key)) {}
  PhoneHash hash(std::string_view normalized) const;

 private:
  std::string key_;
};

}  // namespace pma

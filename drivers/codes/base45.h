// Base45 (RFC 9285): binary data as text in the QR code alphanumeric alphabet.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::codes {

// The 45 characters, in value order: "0-9A-Z $%*+-./:".
inline constexpr std::string_view kBase45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

// Every 2 bytes become 3 characters, a last odd byte becomes 2. Never fails.
std::string base45_encode(std::span<const std::uint8_t> bytes);
std::string base45_encode(std::string_view bytes);

// The bytes (in a std::string) of a Base45 text. Fails with "base45_invalid" and a message
// naming the 0-based position: an invalid character (lower case included, as RFC 9285
// requires), a dangling single character (length % 3 == 1), or a group whose value does not
// fit its bytes (over 65535 for three characters, over 255 for a final two).
// `position_base` is added to positions in messages, for text cut out of a longer string.
Result<std::string> base45_decode(std::string_view text, std::size_t position_base = 0);

}  // namespace pma::codes

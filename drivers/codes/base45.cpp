#include "drivers/codes/base45.h"

#include <fmt/format.h>

#include <array>

namespace pma::codes {
namespace {

constexpr int kInvalid = -1;

constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  for (auto& v : table) v = kInvalid;
  for (std::size_t i = 0; i < kBase45Alphabet.size(); ++i) {
    table[static_cast<unsigned char>(kBase45Alphabet[i])] = static_cast<int>(i);
  }
  return table;
}

constexpr std::array<int, 256> kDecode = make_decode_table();

// Printable characters are shown as themselves; anything else only as hex, so a message never
// carries raw control bytes into a log line.
std::string describe_char(unsigned char c) {
  if (c >= 0x21 && c < 0x7f) return fmt::format("'{}' (0x{:02x})", static_cast<char>(c), c);
  return fmt::format("0x{:02x}", c);
}

}  // namespace

std::string base45_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve(bytes.size() / 2 * 3 + 2);
  std::size_t i = 0;
  for (; i + 1 < bytes.size(); i += 2) {
    unsigned n = bytes[i] * 256u + bytes[i + 1];
    out.push_back(kBase45Alphabet[n % 45]);
    out.push_back(kBase45Alphabet[n / 45 % 45]);
    out.push_back(kBase45Alphabet[n / 2025]);
  }
  if (i < bytes.size()) {
    unsigned n = bytes[i];
    out.push_back(kBase45Alphabet[n % 45]);
    out.push_back(kBase45Alphabet[n / 45]);
  }
  return out;
}

std::string base45_encode(std::string_view bytes) {
  return base45_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

Result<std::string> base45_decode(std::string_view text, std::size_t position_base) {
  if (text.size() % 3 == 1) {
    return fail("base45_invalid",
                fmt::format("dangling single character at position {} (length {} leaves one "
                            "character over)",
                            position_base + text.size() - 1, text.size()));
  }
  std::string out;
  out.reserve(text.size() / 3 * 2 + 1);
  for (std::size_t i = 0; i < text.size(); i += 3) {
    const std::size_t group = text.size() - i >= 3 ? 3 : 2;
    unsigned n = 0;
    unsigned weight = 1;
    for (std::size_t k = 0; k < group; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      const int v = kDecode[c];
      if (v == kInvalid) {
        return fail("base45_invalid", fmt::format("invalid character {} at position {}",
                                                  describe_char(c), position_base + i + k));
      }
      n += static_cast<unsigned>(v) * weight;
      weight *= 45;
    }
    if (group == 3) {
      if (n > 0xffff) {
        return fail("base45_invalid",
                    fmt::format("value {} out of range at position {} (a group of three "
                                "characters must be at most 65535)",
                                n, position_base + i));
      }
      out.push_back(static_cast<char>(n >> 8));
      out.push_back(static_cast<char>(n & 0xff));
    } else {
      if (n > 0xff) {
        return fail("base45_invalid",
                    fmt::format("value {} out of range at position {} (a final pair of "
                                "characters must be at most 255)",
                                n, position_base + i));
      }
      out.push_back(static_cast<char>(n));
    }
  }
  return out;
}

}  // namespace pma::codes

#include "fuzz_check.h"

#include <fmt/format.h>

#include <algorithm>

namespace pma::fuzz {

void violated(std::string what) { throw PropertyViolation{std::move(what)}; }

bool is_snake_case(std::string_view code) {
  if (code.empty() || code.front() < 'a' || code.front() > 'z' || code.back() == '_') return false;
  char previous = 0;
  for (char c : code) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok || (c == '_' && previous == '_')) return false;
    previous = c;
  }
  return true;
}

void check_error(const Error& error, std::initializer_list<std::string_view> allowed,
                 std::string_view where) {
  check(is_snake_case(error.code),
        fmt::format("{}: error code '{}' is not snake_case", where, hex(error.code)));
  if (allowed.size() > 0) {
    check(std::find(allowed.begin(), allowed.end(), error.code) != allowed.end(),
          fmt::format("{}: unexpected error code '{}' ({})", where, error.code, error.message));
  }
  check(!error.message.empty(), fmt::format("{}: error '{}' has no message", where, error.code));
}

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    unsigned char low = 0x80, high = 0xbf;  // the second byte's range
    if (c < 0x80) {
      extra = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      extra = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      extra = 2;
      if (c == 0xe0) low = 0xa0;
      if (c == 0xed) high = 0x9f;  // no surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      extra = 3;
      if (c == 0xf0) low = 0x90;
      if (c == 0xf4) high = 0x8f;
    } else {
      return false;
    }
    if (i + extra >= text.size() && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      const unsigned char lo = k == 1 ? low : 0x80, hi = k == 1 ? high : 0xbf;
      if (next < lo || next > hi) return false;
    }
    i += extra + 1;
  }
  return true;
}

std::string hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) out.push_back(' ');
    out += fmt::format("{:02x}", static_cast<unsigned char>(bytes[i]));
  }
  return out;
}

std::string_view ByteReader::take(std::size_t n) {
  n = std::min(n, size_ - std::min(pos_, size_));
  std::string_view out(reinterpret_cast<const char*>(data_) + pos_, n);
  pos_ += n;
  return out;
}

}  // namespace pma::fuzz

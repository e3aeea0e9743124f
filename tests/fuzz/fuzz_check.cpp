#include "tests/fuzz/fuzz_check.h"

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

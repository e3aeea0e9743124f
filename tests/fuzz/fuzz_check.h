// Property checks and input helpers shared by the fuzz targets (tests/fuzz/fuzz_*.cpp).
// A broken property throws PropertyViolation: fuzz_tests catches it and prints the input; under
// libFuzzer or AFL++ it escapes the target, std::terminate aborts, and the fuzzer keeps the input.
// Stateless helpers; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::fuzz {

// Deliberately not a std::exception: a target that catches std::exception cannot swallow it.
struct PropertyViolation {
  std::string what;
};

[[noreturn]] void violated(std::string what);

inline void check(bool ok, std::string_view what) {
  if (!ok) violated(std::string(what));
}

// Lower-case ASCII letters, digits and single underscores; starts with a letter.
bool is_snake_case(std::string_view code);

// A rejection: a snake_case code, one of `allowed` when that list is not empty, and a non-empty
// message. `where` names the call in the violation.
void check_error(const Error& error, std::initializer_list<std::string_view> allowed,
                 std::string_view where);

// "0a ff 10" style, for reproducing a failure.
std::string hex(std::string_view bytes);

// Reads parameters off the front of a fuzz input; past the end every read gives zeros.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  std::uint8_t u8() { return pos_ < size_ ? data_[pos_++] : 0; }
  // Up to n bytes (fewer at the end of the input).
  std::string_view take(std::size_t n);
  std::string_view rest() { return take(size_ - pos_); }
  bool empty() const { return pos_ >= size_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}
inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace pma::fuzz

// pma::Error: the error value returned across module boundaries (std::expected<T, Error>).
// A plain value type; thread-compatible.
#pragma once

#include <expected>
#include <string>
#include <utility>

namespace pma {

// A stable machine-readable code (e.g. "invalid_phone", "sqlite_error") and a human message
// naming what failed (the statement, the file and line, the device and its OS error).
struct Error {
  std::string code;
  std::string message;

  static Error make(std::string code, std::string message) {
    return Error{std::move(code), std::move(message)};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

// For functions that return nothing on success.
using Status = std::expected<void, Error>;

inline std::unexpected<Error> fail(std::string code, std::string message) {
  return std::unexpected<Error>(Error{std::move(code), std::move(message)});
}

// Returns early with the error of `expr` (a Result or Status) from a function that returns a
// Result or Status; goes on otherwise.
#define PMA_TRY(expr)                                    \
  do {                                                   \
    if (auto pma_ok = (expr); !pma_ok) {                 \
      return std::unexpected(std::move(pma_ok.error())); \
    }                                                    \
  } while (0)

}  // namespace pma

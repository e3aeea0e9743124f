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
// Result or Status; goes on otherwise (a value is discarded). Variadic so that an expression
// with commas outside parentheses (T{a, b}, f<A, B>()) stays one argument.
#define PMA_TRY(...)                                     \
  do {                                                   \
    if (auto pma_ok = (__VA_ARGS__); !pma_ok) {          \
      return std::unexpected(std::move(pma_ok.error())); \
    }                                                    \
  } while (0)

// PMA_TRY_ASSIGN(auto x, expr): evaluates the Result `expr` once; returns its error early from
// a function that returns a Result or Status; otherwise declares (or assigns) the first
// argument from its value, moved out. Expands to three statements in the enclosing scope, like
// the declaration it replaces (so not as the body of an unbraced if).
#define PMA_TRY_CONCAT_(a, b) a##b
#define PMA_TRY_NAME_(a, b) PMA_TRY_CONCAT_(a, b)
#define PMA_TRY_ASSIGN_(tmp, lhs, ...)                      \
  auto tmp = (__VA_ARGS__);                                 \
  if (!tmp) return std::unexpected(std::move(tmp.error())); \
  lhs = std::move(*tmp)
#define PMA_TRY_ASSIGN(lhs, ...) \
  PMA_TRY_ASSIGN_(PMA_TRY_NAME_(pma_try_, __COUNTER__), lhs, __VA_ARGS__)

}  // namespace pma

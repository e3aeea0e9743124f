// The effective sanity caps of a rule set (pma.v1.TransactionLimits with its defaults), and
// overflow-checked arithmetic for numbers that come from requests or batches. Shared by the
// till and HQ so both refuse the same transactions. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "pma/v1/rules.pb.h"

namespace pma {

inline constexpr std::int64_t kDefaultMaxBasketTotalFen = 100'000'000;  // 1,000,000 yuan
inline constexpr std::int64_t kDefaultMaxPointsPerTransaction = 1'000'000;

struct Limits {
  std::int64_t max_basket_total_fen = kDefaultMaxBasketTotalFen;
  std::int64_t max_points_per_transaction = kDefaultMaxPointsPerTransaction;
};

// The rule set's caps, with the default for every field left at 0 (or set negative).
inline Limits effective_limits(const v1::RuleSet& rules) {
  Limits limits;
  if (rules.limits().max_basket_total_fen() > 0) {
    limits.max_basket_total_fen = rules.limits().max_basket_total_fen();
  }
  if (rules.limits().max_points_per_transaction() > 0) {
    limits.max_points_per_transaction = rules.limits().max_points_per_transaction();
  }
  return limits;
}

// a + b, a - b and a * b, or nothing when the result does not fit in int64.
inline std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<std::int64_t> checked_sub(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return std::nullopt;
  return r;
}
inline std::optional<std::int64_t> checked_mul(std::int64_t a, std::int64_t b) {
  std::int64_t r;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

}  // namespace pma

// Integer money helpers: proportional allocation of a discount across lines. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pma::loyalty {

// Splits total (0 <= total <= sum of weights) across weights in proportion: each share is
// rounded down, then the fen left over go one each to the largest remainders (ties: the lower
// index). No share exceeds its weight; the shares sum to total exactly.
std::vector<std::int64_t> allocate(std::int64_t total, std::span<const std::int64_t> weights);

// a * b / c rounded down / up, without overflow for fen and point amounts (128-bit product).
std::int64_t mul_div_floor(std::int64_t a, std::int64_t b, std::int64_t c);
std::int64_t mul_div_ceil(std::int64_t a, std::int64_t b, std::int64_t c);
// a * b / c rounded down (c > 0), or nothing when the quotient does not fit in 64 bits (the
// 128-bit product of two int64 always fits).
std::optional<std::int64_t> checked_mul_div_floor(std::int64_t a, std::int64_t b, std::int64_t c);

}  // namespace pma::loyalty

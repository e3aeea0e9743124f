#include "agent/loyalty/money.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace pma::loyalty {

// Products of fen amounts and weights can exceed 64 bits; GCC's 128-bit integer holds them.
__extension__ typedef __int128 Int128;

std::int64_t mul_div_floor(std::int64_t a, std::int64_t b, std::int64_t c) {
  Int128 p = static_cast<Int128>(a) * b;
  Int128 q = p / c;
  if ((p % c != 0) && ((p < 0) != (c < 0))) --q;
  return static_cast<std::int64_t>(q);
}

std::optional<std::int64_t> checked_mul_div_floor(std::int64_t a, std::int64_t b, std::int64_t c) {
  Int128 p = static_cast<Int128>(a) * b;
  Int128 q = p / c;
  if ((p % c != 0) && ((p < 0) != (c < 0))) --q;
  if (q > std::numeric_limits<std::int64_t>::max() ||
      q < std::numeric_limits<std::int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(q);
}

std::int64_t mul_div_ceil(std::int64_t a, std::int64_t b, std::int64_t c) {
  return -mul_div_floor(-a, b, c);
}

std::vector<std::int64_t> allocate(std::int64_t total, std::span<const std::int64_t> weights) {
  std::vector<std::int64_t> shares(weights.size(), 0);
  std::int64_t sum = std::accumulate(weights.begin(), weights.end(), std::int64_t{0});
  if (total <= 0 || sum <= 0) return shares;
  std::vector<std::pair<std::int64_t, std::size_t>> remainders;  // (remainder, index)
  std::int64_t given = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    Int128 p = static_cast<Int128>(total) * weights[i];
    shares[i] = static_cast<std::int64_t>(p / sum);
    remainders.emplace_back(static_cast<std::int64_t>(p % sum), i);
    given += shares[i];
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (std::size_t k = 0; given < total && k < remainders.size(); ++k) {
    if (remainders[k].first == 0) break;
    ++shares[remainders[k].second];
    ++given;
  }
  return shares;
}

}  // namespace pma::loyalty

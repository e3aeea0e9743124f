// What a terminal may say in a batch, checked before HQ applies a delta: ids and coupon codes
// it mints only under its own prefix, every number within the chain's TransactionLimits, points
// earned no more than the rule set allows for what was paid, no points adjustments (no till
// sends them; HQ makes adjustments). A refused delta is recorded as a conflict and changes
// nothing; the batch is still acknowledged. The checks that need HQ's database (a refund's
// original sale, a coupon's owner) are authorise_delta's (delta_authorisation.h).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pma/limits.h"
#include "pma/v1/delta.pb.h"
#include "pma/v1/rules.pb.h"
#include "sync/net/tls.h"

namespace pma::hq {

// The largest balance (either sign) HQ keeps: far beyond any member, far from int64's end, so
// no balance update can overflow in SQL (SQLite would turn an overflowing sum into a float).
inline constexpr std::int64_t kMaxBalancePoints = 1'000'000'000'000'000;

// Why HQ applies nothing of a delta: a conflict kind and what to record with it.
struct Refusal {
  std::string kind;  // "foreign_id", "delta_out_of_range", "points_adjustment_refused", ...
  std::string member_id;
  std::string coupon_code;
  std::string detail;
};

// "P-<store>-<terminal>-" (provisional member ids) or "W-<store>-<terminal>-" (welcome
// coupon codes): what the terminal's till puts in front of every id it mints.
std::string own_prefix(char kind, const net::TerminalIdentity& terminal);

// The checks that need nothing but the delta, the sender and the caps.
std::optional<Refusal> check_delta(const net::TerminalIdentity& terminal,
                                   const pma::v1::Delta& delta, const Limits& limits);

// The most points a checkout paying paid_fen can earn under the rule set: the highest tier
// multiplier times the highest bonus-day multiplier on the whole amount paid (the till earns
// on the eligible part only). Nothing when it does not fit in int64.
std::optional<std::int64_t> max_points_earned(const pma::v1::RuleSet& rules, std::int64_t paid_fen);

// A checkout's points_earned against max_points_earned.
std::optional<Refusal> check_earned(const pma::v1::CheckoutCommitted& checkout,
                                    const pma::v1::RuleSet& rules);

}  // namespace pma::hq

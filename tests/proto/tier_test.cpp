#include "pma/tier.h"

#include <catch2/catch.hpp>

namespace {

pma::v1::RuleSet tiers(std::int64_t silver_fen, std::int64_t gold_fen) {
  pma::v1::RuleSet rules;
  for (auto [tier, fen] :
       {std::pair{pma::v1::TIER_NORMAL, std::int64_t{0}}, std::pair{pma::v1::TIER_GOLD, gold_fen},
        std::pair{pma::v1::TIER_SILVER, silver_fen}}) {
    auto* rule = rules.add_tiers();
    rule->set_tier(tier);
    rule->set_upgrade_spend_fen(fen);
  }
  return rules;
}

}  // namespace

TEST_CASE("Tier for spend is the highest threshold reached, in any order of rules",
          "[proto][tier]") {
  const auto rules = tiers(100'000, 500'000);
  using pma::tier_for_spend;
  CHECK(tier_for_spend(rules, pma::v1::TIER_NORMAL, 0) == pma::v1::TIER_NORMAL);
  CHECK(tier_for_spend(rules, pma::v1::TIER_NORMAL, 99'999) == pma::v1::TIER_NORMAL);
  CHECK(tier_for_spend(rules, pma::v1::TIER_NORMAL, 100'000) == pma::v1::TIER_SILVER);
  CHECK(tier_for_spend(rules, pma::v1::TIER_NORMAL, 500'000) == pma::v1::TIER_GOLD);
  CHECK(tier_for_spend(rules, pma::v1::TIER_SILVER, 10'000'000) == pma::v1::TIER_GOLD);
}

TEST_CASE("Tier for spend never lowers a tier and ignores thresholds of 0", "[proto][tier]") {
  using pma::tier_for_spend;
  CHECK(tier_for_spend(tiers(100'000, 500'000), pma::v1::TIER_GOLD, 0) == pma::v1::TIER_GOLD);
  // A tier with no threshold is not reached by spend (e.g. gold by invitation only).
  CHECK(tier_for_spend(tiers(100'000, 0), pma::v1::TIER_NORMAL, 10'000'000) ==
        pma::v1::TIER_SILVER);
  CHECK(tier_for_spend(pma::v1::RuleSet{}, pma::v1::TIER_SILVER, 10'000'000) ==
        pma::v1::TIER_SILVER);
}

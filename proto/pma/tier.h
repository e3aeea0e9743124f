// Tier for spend: the one rule by which a till upgrades a member at checkout and HQ raises the
// tier it sends in member pages, so both agree on the tier a 12-month spend reaches.
// Pure; thread-safe.
#pragma once

#include <cstdint>

#include "pma/v1/rules.pb.h"

namespace pma {

// The highest tier of `rules` whose upgrade threshold (upgrade_spend_fen > 0; 0 means "not
// reached by spend") spend_12m_fen reaches, never below current: tiers only go up.
v1::Tier tier_for_spend(const v1::RuleSet& rules, v1::Tier current, std::int64_t spend_12m_fen);

}  // namespace pma

#include "pma/tier.h"

namespace pma {

v1::Tier tier_for_spend(const v1::RuleSet& rules, v1::Tier current, std::int64_t spend_12m_fen) {
  v1::Tier best = current;
  for (const auto& rule : rules.tiers()) {
    if (rule.tier() > best && rule.upgrade_spend_fen() > 0 &&
        spend_12m_fen >= rule.upgrade_spend_fen()) {
      best = rule.tier();
    }
  }
  return best;
}

}  // namespace pma

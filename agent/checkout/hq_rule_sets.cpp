#include "agent/checkout/hq_rule_sets.h"

#include <spdlog/spdlog.h>

#include <charconv>

#include "pma/v1/rules.pb.h"

namespace pma::checkout {

HqRuleSets::HqRuleSets(CheckoutService& service, sync::SyncStore& store,
                       std::shared_ptr<spdlog::logger> logger)
    : service_(service), store_(store), log_(std::move(logger)) {}

void HqRuleSets::load_stored() {
  auto version = store_.get_state("rule_set_version");
  if (!version) {
    log_->error("sync: the stored rule set's version cannot be read: {}", version.error().message);
    return;
  }
  if (!*version) return;
  std::int64_t v = 0;
  const std::string& text = **version;
  if (std::from_chars(text.data(), text.data() + text.size(), v).ec != std::errc{}) {
    log_->error("sync: the stored rule set's version '{}' is not a number; keeping the defaults",
                text);
    return;
  }
  auto blob = store_.get_state("rule_set");
  if (!blob) {
    log_->error("sync: the stored rule set cannot be read: {}", blob.error().message);
    return;
  }
  if (!*blob) return;
  put_in_force(v, **blob);
}

void HqRuleSets::on_rule_set(const pma::v1::RuleSetEnvelope& envelope) {
  put_in_force(envelope.version(), envelope.rule_set());
}

void HqRuleSets::put_in_force(std::int64_t version, const std::string& serialized) {
  if (version == version_) return;
  pma::v1::RuleSet rules;
  if (!rules.ParseFromString(serialized)) {
    log_->error("sync: HQ's rule set version {} does not parse; keeping the current rules",
                version);
    return;
  }
  if (auto ok = service_.set_rules(std::move(rules)); !ok) {
    log_->error("sync: HQ's rule set version {} refused: {}", version, ok.error().message);
    return;
  }
  version_ = version;
  log_->info("sync: loyalty rules version {} in force", version);
}

}  // namespace pma::checkout

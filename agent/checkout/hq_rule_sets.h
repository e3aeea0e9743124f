// HqRuleSets: puts HQ's loyalty rule sets in force in a CheckoutService. At start, the one
// stored with the last member page that carried one (a till restarting offline keeps HQ's
// rules); afterwards each new one as the sync client reports it (SyncClient::on_rule_set),
// right after its page committed: no polling of the store.
// Borrows the service and the store, which must outlive it. io_context thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "agent/checkout/checkout_service.h"
#include "pma/v1/sync.pb.h"
#include "sync/client/sync_store.h"

namespace spdlog {
class logger;
}

namespace pma::checkout {

class HqRuleSets {
 public:
  HqRuleSets(CheckoutService& service, sync::SyncStore& store,
             std::shared_ptr<spdlog::logger> logger);

  // The stored rule set (sync_state 'rule_set' and 'rule_set_version') into the service;
  // nothing when none is stored (the built-in defaults stay).
  void load_stored();

  // A rule set HQ sent: in force unless its version already is. One that does not parse or
  // that CheckoutService::set_rules refuses is logged, and the rules in force stay.
  void on_rule_set(const pma::v1::RuleSetEnvelope& envelope);

  // The version in force; 0 for the built-in defaults.
  std::int64_t version() const { return version_; }

 private:
  void put_in_force(std::int64_t version, const std::string& serialized);

  CheckoutService& service_;
  sync::SyncStore& store_;
  std::shared_ptr<spdlog::logger> log_;
  std::int64_t version_ = 0;
};

}  // namespace pma::checkout

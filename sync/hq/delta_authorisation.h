// A delta's authorisation before HQ applies it (issue 11, "a terminal acts only for itself"),
// written once for every sink: the pure checks of delta_checks.h with the caps of the newest
// rule set, then those that need HQ's data, asked through DeltaFacts: a checkout's points
// against the rule set it names, a coupon's owner, a refund's original sale (a checkout this
// terminal sent for that member, not refunded beyond what was paid, earned and burned).
// A sink implements DeltaFacts over its own database (sqlite_batch_ingest_checks.cpp,
// pg_batch_ingest_checks.cpp). Not thread-safe (as the sink's connection).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "pma/error.h"
#include "pma/limits.h"
#include "pma/v1/delta.pb.h"
#include "pma/v1/rules.pb.h"
#include "sync/hq/delta_checks.h"
#include "sync/net/tls.h"

namespace pma::hq {

// The terminal's sale under a txn id (its checkout's row, else a kind 0 one).
struct Sale {
  bool figures_known = false;  // false: applied before HQ kept sales
  std::string member_id;
  std::int64_t fen_left = 0, earned_left = 0, burned_left = 0;
  std::int64_t kind = 0;  // the row's kind (the sink adds a refund to it)
};

// What authorise_delta asks of a sink, at the position of the delta being applied.
class DeltaFacts {
 public:
  virtual ~DeltaFacts() = default;
  // The member HQ issued coupon `code` to ("" for a coupon held for nobody); nothing when HQ
  // has no such coupon.
  virtual Result<std::optional<std::string>> coupon_owner(const std::string& code) = 0;
  virtual Result<std::optional<Sale>> find_sale(const net::TerminalIdentity& terminal,
                                                const std::string& txn_id) = 0;
  // The member id HQ books under (a mapped provisional id, an alias of a merged member).
  virtual Result<std::string> resolve(const std::string& member_id) = 0;
  // The rule set of that version, nullptr when HQ does not have it.
  virtual Result<const pma::v1::RuleSet*> rules_at(std::int64_t version) = 0;
  // The newest rule set's caps.
  virtual const Limits& limits() const = 0;
};

// Nothing when the delta may be applied; else why not (recorded as a conflict).
Result<std::optional<Refusal>> authorise_delta(const net::TerminalIdentity& terminal,
                                               const pma::v1::Delta& delta, DeltaFacts& facts);

}  // namespace pma::hq

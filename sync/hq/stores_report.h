// `memberhq stores`: every terminal HQ knows with its lag (highest seq applied, age of the last
// batch), its last session attempt and its state (active, revoked, or silent: active but not
// seen for longer than a threshold), sorted by store and terminal, as a table or as JSON.
// Pure functions of what Administration::terminals and OperationsReads::last_batches return.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "sync/hq/administration.h"
#include "sync/hq/operations_reads.h"

namespace pma::hq {

enum class TerminalState { active, revoked, silent };
const char* terminal_state_name(TerminalState state);

struct StoreRow {
  std::string store_id;
  std::string terminal_id;
  std::uint64_t highest_seq = 0;
  std::int64_t last_batch_ms = 0;  // 0: no delta applied
  std::int64_t last_seen_ms = 0;   // 0: never seen
  TerminalState state = TerminalState::active;
  std::int64_t changed_at_ms = 0;  // last revoke or reinstate, 0: never
};

// Rows sorted by (store, terminal). A terminal that is not revoked is silent when it was never
// seen or last seen more than silent_after_ms before now_ms.
std::vector<StoreRow> stores_report(
    std::span<const TerminalInfo> terminals,
    const std::map<OperationsReads::TerminalKey, std::int64_t>& last_batches, std::int64_t now_ms,
    std::int64_t silent_after_ms);

// A tab-separated table with a header line and a summary line; ages in seconds ("-": none).
std::string format_stores_table(std::span<const StoreRow> rows, std::int64_t now_ms);
// {"now_ms":..,"terminals":[{"store_id":..,"terminal_id":..,"highest_seq":..,
// "last_batch_ms":..|null,"last_batch_age_s":..|null,"last_seen_ms":..|null,
// "last_seen_age_s":..|null,"state":"active"|"revoked"|"silent","changed_at_ms":..|null}]}
std::string format_stores_json(std::span<const StoreRow> rows, std::int64_t now_ms);

}  // namespace pma::hq

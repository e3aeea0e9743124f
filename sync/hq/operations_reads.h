// OperationsReads: the reads HQ operations need beyond Administration (memberhq stores, the
// admin listener's /metrics): counts and per-terminal times a sink can answer without
// returning every row. Used from one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "pma/error.h"

namespace pma::hq {

class OperationsReads {
 public:
  using TerminalKey = std::pair<std::string, std::string>;  // store id, terminal id
  virtual ~OperationsReads() = default;

  // Conflicts recorded (what `memberhq conflicts` lists).
  virtual Result<std::uint64_t> conflict_count() = 0;
  // UTC ms at which each terminal's most recent applied delta was applied (its last batch);
  // terminals that never had a delta applied are absent.
  virtual Result<std::map<TerminalKey, std::int64_t>> last_batches() = 0;
};

}  // namespace pma::hq

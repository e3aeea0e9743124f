// Batches in: a terminal's deltas applied exactly once, its watermark and its id mappings (the
// server's handshake and batch frames). Implementations are used from one thread (the server's
// io_context); not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"
#include "sync/net/tls.h"

namespace pma::hq {

using net::TerminalIdentity;

struct ApplyOutcome {
  // Highest contiguous seq applied for the terminal after this batch.
  std::uint64_t highest_applied = 0;
  std::uint32_t applied = 0;
  std::uint32_t duplicates = 0;
  // Set when the batch skipped ahead: the client must resend from this seq.
  std::optional<std::uint64_t> gap_from;
  std::vector<pma::v1::IdMapping> id_mappings;
};

class BatchIngest {
 public:
  virtual ~BatchIngest() = default;

  // Highest contiguous seq applied for the terminal (0 when none).
  virtual Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal) = 0;

  // HQ's ids for those of `provisional_ids` the terminal itself registered (its own
  // "P-<store>-<terminal>-" prefix) and HQ has applied; others are left out.
  virtual Result<std::vector<pma::v1::IdMapping>> id_mappings(
      const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) = 0;

  // Applies the batch in one transaction, each delta at most once (unique (store, terminal,
  // seq)): seqs at or below the watermark are counted as duplicates; a seq beyond
  // watermark + 1 stops the batch and sets gap_from. now_ms stamps conflicts.
  virtual Result<ApplyOutcome> apply_batch(const TerminalIdentity& terminal,
                                           const pma::v1::Batch& batch, std::int64_t now_ms) = 0;
};

}  // namespace pma::hq

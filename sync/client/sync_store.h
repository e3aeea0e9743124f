// What the sync client needs from the terminal's database: the outbox upstream, the member
// cache and cursors downstream. agent/store implements it (SqliteSyncStore); sync/ never
// includes agent/. Implementations are used from the io_context thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"

namespace pma::sync {

struct OutboxEntry {
  std::uint64_t seq = 0;
  std::vector<std::uint8_t> payload;  // a serialised pma.v1.Delta whose seq equals `seq`
};

struct OutboxStats {
  std::uint64_t depth = 0;
  std::optional<std::int64_t> oldest_created_at;  // unix seconds of the oldest unsent delta
};

struct DownstreamCursor {
  std::uint64_t member_cursor = 0;
  std::int64_t rule_set_version = 0;
};

class SyncStore {
 public:
  virtual ~SyncStore() = default;

  // Outbox entries with seq >= from_seq in seq order: at most max_count, and at most max_bytes
  // of payload (but always at least one entry when any exists).
  virtual Result<std::vector<OutboxEntry>> outbox_from(std::uint64_t from_seq,
                                                       std::size_t max_count,
                                                       std::size_t max_bytes) = 0;
  virtual Result<OutboxStats> outbox_stats() = 0;

  // Provisional member ids still in the cache (not yet mapped to HQ's ids), at most `limit`.
  virtual Result<std::vector<std::string>> unmapped_ids(std::size_t limit) = 0;

  // Before the first session ever (pairing): whether the till holds data HQ would overwrite
  // because it never had it. Errors: "pairing_refused" with the reason and the fix; the
  // session then does not start.
  virtual Status check_pairing() { return {}; }

  // After HQ states its highest applied seq for this terminal, in one transaction: never
  // allocate a seq at or below it again (seq_floor); move every outbox entry at or below it
  // past it, in order (never dropped: after a lost ack HQ has them, after a reinstall or a
  // restore they are new; HQ tells the two apart by each delta's identity); and map the
  // provisional ids HQ answered for (as acknowledge() does: an ack carrying them may have been
  // lost).
  virtual Status on_handshake(std::uint64_t hq_highest_seq,
                              const std::vector<pma::v1::IdMapping>& id_mappings) = 0;

  // HQ acknowledged everything up to seq: in one transaction, prune the outbox up to it and
  // map provisional member ids to HQ's canonical ids (members, ledger and coupons).
  virtual Status acknowledge(std::uint64_t seq,
                             const std::vector<pma::v1::IdMapping>& id_mappings) = 0;

  // Applies one page in one transaction: members (or erasures), their coupons, the
  // invariant-2 watermark (ledger rows of each member up to page.reflected_seq become
  // reflected), the new cursor and the rule set if present.
  virtual Status apply_member_page(const pma::v1::MemberPage& page, std::int64_t now) = 0;

  virtual Result<DownstreamCursor> downstream_cursor() = 0;
  // Restarts the downstream cursor at 0 (the nightly full reconcile).
  virtual Status reset_member_cursor() = 0;

  // Small durable key/value state (last success, last reconcile day).
  virtual Result<std::optional<std::string>> get_state(const std::string& key) = 0;
  virtual Status set_state(const std::string& key, const std::string& value) = 0;
};

}  // namespace pma::sync

// The terminal's sync client: one TLS session to memberhq sends the outbox in bounded
// batches (pruning only what HQ acknowledged) and pulls member pages and rule sets. A schedule
// trickles every few seconds while HQ is reachable, runs a nightly reconcile with per-terminal
// jitter and backs off exponentially (with jitter) on failure.
// Lives on one io_context thread with its SyncStore and Clock; both must outlive it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pma/calendar.h"
#include "pma/clock.h"
#include "pma/error.h"
#include "sync/client/sync_store.h"
#include "sync/net/tls.h"

namespace pma::sync {

// One memberhq node a till may sync with.
struct HqAddress {
  std::string host;
  std::uint16_t port = 7443;
};

struct ClientConfig {
  std::string hq_host;           // [sync] hq_host
  std::uint16_t hq_port = 7443;  // [sync] hq_port
  // [sync] hq: memberhq nodes in order of preference; when set, hq_host and hq_port are not
  // used. A session that cannot connect to one tries the next at once; after a session that
  // dropped, the next session starts at the next one. (Exactly-once is HQ's: its unique key.)
  std::vector<HqAddress> hq;
  net::TlsFiles tls;                                 // [sync] ca, cert, key
  std::chrono::milliseconds trickle_interval{5000};  // [sync] trickle_interval_ms
  std::chrono::milliseconds io_timeout{15000};       // [sync] io_timeout_ms, per frame
  std::chrono::milliseconds backoff_initial{1000};   // [sync] backoff_initial_ms
  std::chrono::milliseconds backoff_max{300000};     // [sync] backoff_max_ms
  std::size_t max_batch_deltas = 1000;               // [sync] max_batch_deltas
  std::size_t max_batch_bytes = 256 * 1024;          // [sync] max_batch_bytes (uncompressed)
  std::uint32_t max_page_members = 2000;             // [sync] max_page_members (rows per tx)
  int reconcile_start_minute = 120;                  // [sync] reconcile_start (02:00 local)
  int reconcile_window_minutes = 180;                // [sync] reconcile_window_minutes
  // The store's zone (memberd passes store.timezone): "local" in reconcile_start and the day
  // a nightly reconcile counts for.
  StoreZone zone = StoreZone::fixed_offset(480);
  std::string jitter_key;  // store/terminal id: spreads reconcile and backoff per terminal

  // hq, or hq_host:hq_port alone.
  std::vector<HqAddress> hq_addresses() const;
  Status validate() const;
};

struct SyncProgress {
  enum class Phase { connecting, upstream, downstream, done };
  Phase phase = Phase::connecting;
  std::uint64_t deltas_sent = 0;
  std::uint64_t acked_seq = 0;
  std::uint64_t members_applied = 0;
};

struct SyncReport {
  std::uint64_t hq_highest_seq = 0;  // after the session
  std::uint64_t deltas_acked = 0;
  std::uint64_t members_applied = 0;
  bool rule_set_updated = false;
};

// How a session ended. The schedule, the link state and the choice of HQ address steer on this,
// never on error codes (which stay in the Error for logs, memberctl and the API).
enum class SessionEnd {
  completed,            // every frame exchanged; the SyncReport is the result
  already_running,      // another session of this client runs ("sync_in_progress")
  busy,                 // HQ answered Busy ("hq_busy"): come back after its retry hint
  unreachable,          // no HQ address connected ("connect", "tls_handshake")
  certificate_refused,  // a certificate was refused, by HQ or by us ("tls_refused")
  refused,              // HQ answered Hello with an error ("terminal_revoked", ...)
  dropped,              // the session failed after connecting ("io_*", "frame_*", "protocol")
  local,                // the till's own side failed (pairing, its store, its TLS files)
};

struct SessionOutcome {
  SessionEnd end = SessionEnd::completed;
  Result<SyncReport> result;  // the report when completed, the error otherwise
};

struct SyncStatus {
  std::uint64_t outbox_depth = 0;
  std::optional<std::int64_t> oldest_unsent_age_s;
  std::optional<std::int64_t> last_success_ms;  // UTC
  // False when the last session could not connect or HQ refused this terminal (refusal says
  // why); true when HQ answered, even with Busy (last_error "hq_busy: ...": reachable, busy).
  bool reachable = false;
  std::string last_error;
  // "<code>: <message>" while HQ refuses this terminal (terminal_revoked, a certificate HQ does
  // not take); empty otherwise.
  std::string refusal;
  std::uint32_t consecutive_failures = 0;
};

class SyncClient {
 public:
  using ProgressFn = std::function<void(const SyncProgress&)>;
  // Told of each rule set HQ sends, right after the page carrying it was stored (the store
  // keeps it for a restart); on the io_context thread, from inside the session.
  using RuleSetObserver = std::function<void(const pma::v1::RuleSetEnvelope&)>;

  // The wall clock stamps member pages and sync.last_success_ms and places the reconcile.
  SyncClient(boost::asio::io_context& io, SyncStore& store, ClientConfig config,
             const pma::Clock& clock);
  ~SyncClient();
  SyncClient(const SyncClient&) = delete;
  SyncClient& operator=(const SyncClient&) = delete;

  // Starts the schedule (trickle, nightly reconcile, backoff). Errors: "config_invalid",
  // "tls_config".
  Status start();
  // Stops the schedule and aborts a session in progress (nothing unacknowledged is pruned).
  void stop();
  // Replaces the observer of new rule sets (set once at wiring time; empty: nobody is told).
  void on_rule_set(RuleSetObserver observer);

  // Runs a session now (the schedule keeps going); done is called on the io_context thread.
  void sync_now(ProgressFn progress, std::function<void(Result<SyncReport>)> done);

  // One complete session. full_reconcile restarts the member cursor at 0.
  // Errors: "connect", "tls_handshake", "tls_refused", "hq_busy" (message holds the retry hint),
  // HQ's refusal codes ("terminal_revoked", ...), "io_*", "frame_*", "protocol", storage errors
  // from the SyncStore.
  boost::asio::awaitable<Result<SyncReport>> run_once(ProgressFn progress,
                                                      bool full_reconcile = false);
  // run_once with how the session ended (what the schedule steers on).
  boost::asio::awaitable<SessionOutcome> run_session(ProgressFn progress,
                                                     bool full_reconcile = false);

  // Outbox figures read from the store, plus the link state below.
  Result<SyncStatus> status();
  // Whether the last session reached HQ and HQ served this terminal: no I/O, for the checkout
  // path (offline limits).
  bool reachable() const;
  // Why HQ refuses this terminal ("<code>: <message>"), empty when it does not: no I/O, for
  // the Reserver (no reservation attempt while HQ refuses the terminal).
  const std::string& hq_refusal() const;
  // The index in config.hq_addresses() that the next session tries first: the address of the
  // last session that connected, or the next one after a session that dropped. No I/O; the
  // Reserver connects there.
  std::size_t current_hq() const;
  // Backoff before attempt n (1-based) after failures: min(max, initial * 2^(n-1)) scaled by a
  // random factor in [0.5, 1]. Pure given the random draw u in [0, 1).
  static std::chrono::milliseconds backoff_delay(const ClientConfig& config, std::uint32_t n,
                                                 double u);
  // Minutes after local midnight at which this terminal reconciles (stable per jitter_key).
  static int reconcile_minute(const ClientConfig& config);

 private:
  struct State;
  boost::asio::awaitable<void> schedule();
  boost::asio::io_context& io_;
  SyncStore& store_;
  ClientConfig config_;
  const pma::Clock& clock_;
  std::shared_ptr<State> state_;
};

}  // namespace pma::sync

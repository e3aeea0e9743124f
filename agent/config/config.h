// memberd's configuration: one TOML file, one struct per concern, every field with a default.
// Loading rejects unknown keys and bad values, naming the file, line and key.
// Plain values; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "drivers/codes/classify.h"
#include "drivers/printer/layout.h"
#include "drivers/printer/transport.h"
#include "drivers/scanner/scanner_config.h"
#include "pma/calendar.h"
#include "pma/error.h"

namespace pma::config {

// [store]: who this till is.
struct StoreConfig {
  std::string id = "S001";                     // store.id: the store's id as HQ knows it
  std::string terminal = "T01";                // store.terminal: this till within the store
  std::string name = "POS Member Agent Demo";  // store.name: printed on member receipts
  // store.timezone: IANA zone name from the system's tz database; decides the store-local date
  // (member days, birthdays, offline daily limits, the nightly reconcile), daylight saving too.
  std::string timezone = "Asia/Shanghai";
  bool timezone_set = false;  // whether the file names store.timezone
  // store.utc_offset_minutes: deprecated (accepted with a warning for this release): a fixed
  // offset, used only when store.timezone is not set.
  std::optional<std::int64_t> utc_offset_minutes;
  Status validate() const;
  // The zone that decides store-local dates: store.timezone, or the deprecated fixed offset
  // when only it is set. Errors: "config_bad_value" for an unknown zone name.
  Result<StoreZone> zone() const;
  // What to log at start when store.utc_offset_minutes is set (empty when it is not).
  std::string deprecation_warning() const;
};

// [state]: where the agent keeps its files.
struct StateConfig {
  std::string dir = "/var/lib/memberd";  // state.dir: database, API token, phone-hash key
  Status validate() const;
};

// [database]: the SQLite member cache and ledger.
struct DatabaseConfig {
  std::string path;                     // database.path: default <state.dir>/agent.db
  std::string synchronous = "FULL";     // database.synchronous: FULL, NORMAL or OFF
  std::int64_t busy_timeout_ms = 5000;  // database.busy_timeout_ms
  std::int64_t cache_size_kib = 8192;   // database.cache_size_kib: page cache per connection
  Status validate() const;
};

// [api]: the local HTTP API for the POS front-end.
struct ApiConfig {
  std::string listen = "127.0.0.1";      // api.listen: loopback only (127.0.0.0/8 or ::1)
  std::int64_t port = 8765;              // api.port
  std::string token_file;                // api.token_file: default <state.dir>/api-token
  std::int64_t max_body_bytes = 262144;  // api.max_body_bytes
  std::int64_t idle_timeout_ms = 30000;  // api.idle_timeout_ms: keep-alive idle close
  // api.max_connections: open API connections at most (keep it well under the process's
  // descriptor limit, LimitNOFILE in the unit); beyond it the longest-idle one is closed, or a
  // new one is answered 503 "too_many_connections".
  std::int64_t max_connections = 256;
  // api.allowed_origins: browser origins ("https://pos.example:8443", exact scheme://host[:port])
  // allowed to call the API and open the event stream; empty by default (a request carrying any
  // Origin is refused); never "*".
  std::vector<std::string> allowed_origins;
  Status validate() const;
};

// [privacy]
struct PrivacyConfig {
  // privacy.phone_hash_key_file: the chain-wide secret for phone hashes; default
  // <state.dir>/phone-hash.key (created on first start if missing).
  std::string phone_hash_key_file;
  Status validate() const { return {}; }
};

// [log]
struct LogConfig {
  std::string level = "info";  // log.level: trace, debug, info, warn, error
  Status validate() const;
};

// [demo]
struct DemoConfig {
  std::int64_t seed_members = 0;  // demo.seed_members: demo members created on first start
  Status validate() const;
};

// [codes]: what scanned strings are, and HQ's keys for dynamic member QR codes.
struct CodesConfig {
  // codes.card_prefix, codes.card_min_length, codes.card_max_length, codes.card_digits_only,
  // codes.phone_enabled, codes.coupon_prefix: see pma::codes::CodeRules (defaults there).
  codes::CodeRules rules;
  // [codes.hq_keys]: key id -> PEM file of HQ's Ed25519 public key, e.g. "1" = "/etc/...".
  // Without keys, dynamic member QR codes are rejected ("qr_unknown_key").
  std::map<std::uint32_t, std::string> hq_keys;
  Status validate() const;
};

// [events]: the WebSocket event stream for the POS.
struct EventsConfig {
  std::int64_t replay_buffer = 1000;  // events.replay_buffer: events kept for reconnects
  Status validate() const { return {}; }
};

// One [[printer]]: an ESC/POS receipt printer and its durable queue.
struct PrinterConfig {
  std::string name = "receipt";   // name: the queue's name, shown in health
  std::string transport = "tcp";  // transport: "tcp" (port 9100), "device" (/dev/usb/lp0, pty)
                                  // or "serial" (RS-232/USB-CDC through libserialport)
  printer::Paper paper = printer::Paper::mm80;  // paper: "58mm" (32 columns) or "80mm" (48)
  std::int64_t retry_ms = 1000;  // retry_ms: how often a waiting job re-checks the printer
  // host, port (tcp); path (device, serial); status (DLE EOT queries, default true);
  // write_timeout_ms; baud, parity, data_bits, stop_bits, flow_control, driver (serial).
  printer::TcpOptions tcp;
  printer::DeviceFileOptions device;
  printer::SerialTransportOptions serial;
  Status validate() const;
};

// [printing]: what the agent prints by itself.
struct PrintingConfig {
  // printing.receipt_printer: the [[printer]] that POST /v1/print and commits use
  // (default: the first one).
  std::string receipt_printer;
  // printing.print_on_commit: print the member receipt block after each checkout commit
  // (for stores whose POS lets the agent print it). Default false.
  bool print_on_commit = false;
  Status validate() const { return {}; }
};

// One memberhq node of sync.hq ("host:port", "host" for port 7443, "[v6]:port").
struct HqNode {
  std::string host;
  std::int64_t port = 7443;
};

// [sync]: the link to HQ. Sync is off while neither hq nor hq_host is set (a standalone till).
struct SyncConfig {
  std::string hq_host;          // sync.hq_host: memberhq's host name or address
  std::int64_t hq_port = 7443;  // sync.hq_port
  // sync.hq: several memberhq nodes, ["host:port", ...], tried in order (fail over); instead of
  // hq_host and hq_port. Default empty.
  std::vector<HqNode> hq;
  std::string ca_file;                          // sync.ca: the chain CA (PEM)
  std::string cert_file;                        // sync.cert: this terminal's certificate (PEM)
  std::string key_file;                         // sync.key: this terminal's private key (PEM)
  std::int64_t trickle_interval_ms = 5000;      // sync.trickle_interval_ms: while HQ is reachable
  std::int64_t io_timeout_ms = 15000;           // sync.io_timeout_ms: per frame
  std::int64_t backoff_initial_ms = 1000;       // sync.backoff_initial_ms
  std::int64_t backoff_max_ms = 300000;         // sync.backoff_max_ms
  std::int64_t max_batch_deltas = 1000;         // sync.max_batch_deltas
  std::int64_t max_batch_bytes = 262144;        // sync.max_batch_bytes (before compression)
  std::int64_t max_page_members = 2000;         // sync.max_page_members: rows per transaction
  std::string reconcile_start = "02:00";        // sync.reconcile_start: nightly window, store time
  std::int64_t reconcile_window_minutes = 180;  // sync.reconcile_window_minutes
  // sync.reserve_timeout_ms: online-first budget for holding a checkout's coupons and points
  // burn at HQ before committing; 0 turns reservations off (offline rules whenever HQ is not
  // known to be reachable).
  std::int64_t reserve_timeout_ms = 300;
  bool enabled() const { return !hq_host.empty() || !hq.empty(); }
  // hq, or hq_host:hq_port alone (empty for a standalone till).
  std::vector<HqNode> hq_nodes() const;
  Status validate() const;
};

struct Config {
  StoreConfig store;
  StateConfig state;
  DatabaseConfig database;
  ApiConfig api;
  PrivacyConfig privacy;
  LogConfig log;
  DemoConfig demo;
  CodesConfig codes;
  EventsConfig events;
  // [[scanner]] entries (keys: see pma::scanner::ScannerConfig).
  std::vector<scanner::ScannerConfig> scanners;
  // [[printer]] entries.
  std::vector<PrinterConfig> printers;
  PrintingConfig printing;
  SyncConfig sync;

  // Fills the paths that default to a file in the state folder.
  void resolve_paths();
  Status validate() const;

  std::string database_path() const;
  std::string token_path() const;
  // <state.dir>/pos-tokens: the origin-bound tokens of browser tills (memberctl pos-token).
  std::string pos_tokens_path() const;
  std::string phone_hash_key_path() const;
};

// Checks one browser origin as api.allowed_origins takes it: "http://" or "https://", a host,
// an optional ":port" (1..65535), nothing after (no path, slash, query, user, wildcard or
// "null"). Errors: "config_bad_value" saying what is wrong with it.
Status validate_origin(const std::string& origin);

// Parses TOML text; `origin` names the source in errors ("/etc/memberd/memberd.toml").
// Errors: "config_syntax", "config_unknown_key", "config_bad_value", each
// "<origin>:<line>: <key>: <what is wrong>".
Result<Config> parse_config(std::string_view toml_text, const std::string& origin);

// Reads and parses a file ("config_unreadable" when it cannot be read).
Result<Config> load_config(const std::string& path);

}  // namespace pma::config

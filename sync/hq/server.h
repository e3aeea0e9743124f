// memberhq's TLS endpoint: accepts terminals (mutual TLS; identity from the client
// certificate), admits up to max_sessions at once, at most max_sessions_per_store of one store
// (others get Busy{retry_after_ms}, before any database work) and max_sessions_per_terminal of
// one terminal (its oldest is closed for a new one; a new sync session (Hello) closes the
// terminal's older sync session), refuses revoked terminals, applies batches through the Sink
// and serves member pages. TLS handshakes are bounded in number and time. Runs on one io_context
// thread, which also owns the Sink; the Sink and the io_context must outlive the Server.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "pma/clock.h"
#include "sync/hq/metrics.h"
#include "sync/hq/sink.h"
#include "sync/net/tls.h"
#include "sync/wire/frame.h"

namespace pma::hq {

struct ServerConfig {
  std::string listen_address = "0.0.0.0";  // [server] listen
  std::uint16_t port = 7443;               // [server] port; 0 picks a free port
  net::TlsFiles tls;                       // [tls] ca, cert, key
  std::size_t max_sessions = 64;           // [server] max_sessions
  // One store's share of max_sessions: a store (or a stolen certificate) cannot lock the
  // others out.
  std::size_t max_sessions_per_store = 16;
  // Connections of one terminal (its sync session plus online-first reservations); beyond it
  // the terminal's oldest is closed.
  std::size_t max_sessions_per_terminal = 4;
  // TCP connections still in their TLS handshake (unauthenticated); more are closed at once.
  std::size_t max_handshakes = 256;
  std::chrono::milliseconds handshake_timeout{10000};
  std::uint32_t retry_after_ms = 5000;  // [server] retry_after_ms: the Busy hint
  std::uint32_t max_frame_bytes = wire::kDefaultMaxPayload;  // [server] max_frame_bytes
  std::uint32_t max_batch_deltas = 2000;                     // [server] max_batch_deltas
  std::uint32_t max_page_members = 2000;                     // [server] max_page_members
  std::chrono::milliseconds io_timeout{30000};               // [server] io_timeout_ms, per frame
  // [server] reservation_hold_ms: how long an online-first hold lasts when the checkout's
  // Delta does not arrive (the till crashed or went offline after reserving).
  std::chrono::milliseconds reservation_hold{15 * 60 * 1000};
  // [server] last_seen_flush_ms: how often the terminals' last-seen times are written (one
  // transaction; retried at the next tick while a memberhq command holds the database).
  std::chrono::milliseconds last_seen_flush{10000};

  Status validate() const;
};

struct ServerStats {
  std::uint64_t sessions_total = 0;
  std::uint64_t sessions_active = 0;
  std::uint64_t refused_busy = 0;        // HQ full, or the store's share taken
  std::uint64_t refused_store_busy = 0;  // of refused_busy: the store's share taken
  std::uint64_t replaced = 0;            // sessions closed for a newer one of the terminal
  std::uint64_t refused_handshakes = 0;  // connections closed: too many handshakes under way
  std::uint64_t refused_tls = 0;         // failed handshakes and unusable certificates
  std::uint64_t refused_revoked = 0;     // terminals revoked by memberhq terminal revoke
  std::uint64_t protocol_errors = 0;     // bad frames, storage errors
  std::uint64_t deltas_applied = 0;
  std::uint64_t batches = 0;
  std::uint64_t reservations_granted = 0;
  std::uint64_t reservations_refused = 0;
};

// The parts of HQ's storage the server uses, one interface each (a Sink is all four). Each must
// outlive the Server.
struct ServerSinks {
  BatchIngest& batches;             // Hello (watermark, id mappings) and Batch frames
  MemberPages& pages;               // Pull frames
  Reservations& reservations;       // Reserve and Release frames
  Administration& terminal_access;  // check_terminal at admission, flush_terminal_activity
};

class Server {
 public:
  // The wall clock (UTC ms) stamps batches, holds and last-seen times; it must outlive the
  // server.
  Server(boost::asio::io_context& io, ServerSinks sinks, ServerConfig config,
         const pma::Clock& clock);
  Server(boost::asio::io_context& io, Sink& sink, ServerConfig config, const pma::Clock& clock)
      : Server(io, ServerSinks{sink, sink, sink, sink}, std::move(config), clock) {}
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting. Returns the bound port. Errors: "tls_config", "listen".
  Result<std::uint16_t> start();
  // Stops accepting, closes every session and writes the last-seen times noted so far.
  void stop();
  const ServerStats& stats() const { return *stats_; }
  // Per-terminal lag, ingest rate and pages served (the admin listener's /metrics); terminals
  // the database knows are seeded when the server first runs on the io_context.
  const HqMetrics& metrics() const { return *metrics_; }

  struct State;  // internal: the acceptor and the live sessions

 private:
  boost::asio::io_context& io_;
  ServerSinks sinks_;
  ServerConfig config_;
  const pma::Clock& clock_;
  std::shared_ptr<ServerStats> stats_;
  std::shared_ptr<HqMetrics> metrics_;
  std::shared_ptr<State> state_;
};

}  // namespace pma::hq

#include "sync/hq/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <list>
#include <map>
#include <optional>
#include <utility>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"
#include "sync/net/frame_stream.h"
#include "sync/net/watchdog.h"
#include "sync/wire/messages.h"

namespace pma::hq {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;

Status ServerConfig::validate() const {
  if (tls.ca_file.empty() || tls.cert_file.empty() || tls.key_file.empty()) {
    return fail("config_invalid", "tls.ca, tls.cert and tls.key are required");
  }
  if (max_sessions == 0) return fail("config_invalid", "server.max_sessions must be at least 1");
  if (max_sessions_per_store == 0 || max_sessions_per_terminal == 0 || max_handshakes == 0) {
    return fail("config_invalid",
                "max_sessions_per_store, max_sessions_per_terminal and max_handshakes must be "
                "at least 1");
  }
  if (handshake_timeout.count() <= 0) {
    return fail("config_invalid", "server.handshake_timeout_ms must be positive");
  }
  if (max_frame_bytes < 1024) {
    return fail("config_invalid", "server.max_frame_bytes must be at least 1024");
  }
  if (last_seen_flush.count() <= 0) {
    return fail("config_invalid", "server.last_seen_flush_ms must be positive");
  }
  if (max_batch_deltas == 0 || max_page_members == 0) {
    return fail("config_invalid", "max_batch_deltas and max_page_members must be positive");
  }
  return {};
}

struct Server::State {
  std::shared_ptr<ssl::context> tls;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<asio::steady_timer> flush_timer;
  std::list<std::weak_ptr<TlsStream>> sessions;
  bool stopped = false;
  // Admitted sessions per terminal, oldest first, and per store; the counts admission uses.
  struct Admitted {
    std::uint64_t id = 0;
    std::weak_ptr<TlsStream> stream;
    bool sync = false;  // said Hello
  };
  std::map<std::pair<std::string, std::string>, std::list<Admitted>> by_terminal;
  std::map<std::string, std::size_t> per_store;
  std::uint64_t next_id = 0;
  std::size_t handshakes = 0;  // connections in their TLS handshake
};

namespace {

std::string who(const TerminalIdentity& id) {
  return fmt::format("{}/{}", id.store_id, id.terminal_id);
}

// What a session needs; shared so a session winding down may outlive the Server object.
struct SessionContext {
  ServerSinks sinks;
  std::shared_ptr<const ServerConfig> config_ptr;
  std::shared_ptr<ServerStats> stats_ptr;
  std::shared_ptr<HqMetrics> metrics_ptr;
  const pma::Clock& clock;  // like the sink, outlives every session
  std::shared_ptr<Server::State> state;
  const ServerConfig& config;
  ServerStats& stats;
  HqMetrics& metrics;
  SessionContext(ServerSinks s, std::shared_ptr<const ServerConfig> c,
                 std::shared_ptr<ServerStats> st, std::shared_ptr<HqMetrics> m, const pma::Clock& k,
                 std::shared_ptr<Server::State> sh)
      : sinks(s),
        config_ptr(std::move(c)),
        stats_ptr(std::move(st)),
        metrics_ptr(std::move(m)),
        clock(k),
        state(std::move(sh)),
        config(*config_ptr),
        stats(*stats_ptr),
        metrics(*metrics_ptr) {}
  SessionContext(const SessionContext& o)
      : SessionContext(o.sinks, o.config_ptr, o.stats_ptr, o.metrics_ptr, o.clock, o.state) {}
};

using TerminalKey = std::pair<std::string, std::string>;

void close_stream(const std::weak_ptr<TlsStream>& weak) {
  if (auto s = weak.lock()) {
    boost::system::error_code ignored;
    s->lowest_layer().close(ignored);
  }
}

// Takes an admitted session off the books (its own end, or replaced by a newer one).
void forget(SessionContext& ctx, const TerminalKey& key,
            std::list<Server::State::Admitted>::iterator it) {
  auto& list = ctx.state->by_terminal[key];
  list.erase(it);
  if (list.empty()) ctx.state->by_terminal.erase(key);
  if (--ctx.state->per_store[key.first] == 0) ctx.state->per_store.erase(key.first);
  --ctx.stats.sessions_active;
}

// Closes the terminal's oldest session (sync_only: its oldest sync session other than keep).
bool replace_oldest(SessionContext& ctx, const TerminalKey& key, bool sync_only,
                    std::uint64_t keep) {
  auto found = ctx.state->by_terminal.find(key);
  if (found == ctx.state->by_terminal.end()) return false;
  for (auto it = found->second.begin(); it != found->second.end(); ++it) {
    if (it->id == keep || (sync_only && !it->sync)) continue;
    auto stream = it->stream;
    forget(ctx, key, it);
    ++ctx.stats.replaced;
    spdlog::info("hq: {}/{}: an older session closed for a newer one", key.first, key.second);
    close_stream(stream);
    return true;
  }
  return false;
}

// Whether the terminal may have one more session: Busy when HQ or the store's share is full
// (the terminal's own oldest session counts as free when the terminal is at its limit).
std::optional<pma::v1::Busy> admission(SessionContext& ctx, const TerminalKey& key) {
  std::size_t terminal_count = 0;
  if (auto it = ctx.state->by_terminal.find(key); it != ctx.state->by_terminal.end()) {
    terminal_count = it->second.size();
  }
  const std::size_t freed = terminal_count >= ctx.config.max_sessions_per_terminal ? 1 : 0;
  std::size_t store_count = 0;
  if (auto it = ctx.state->per_store.find(key.first); it != ctx.state->per_store.end()) {
    store_count = it->second;
  }
  const bool store_full = store_count - freed >= ctx.config.max_sessions_per_store;
  if (!store_full && ctx.stats.sessions_active - freed < ctx.config.max_sessions) {
    return std::nullopt;
  }
  ++ctx.stats.refused_busy;
  if (store_full) ++ctx.stats.refused_store_busy;
  pma::v1::Busy busy;
  busy.set_retry_after_ms(ctx.config.retry_after_ms);
  return busy;
}

asio::awaitable<void> send(TlsStream& stream, const std::vector<std::uint8_t>& bytes) {
  (void)co_await net::write_frame(stream, bytes);
}

// Answers a reserve frame (or applies a release, which has no answer). Returns the reply
// frame, empty for a release.
Result<std::vector<std::uint8_t>> reservation(const wire::Frame& frame, const TerminalIdentity& id,
                                              SessionContext& ctx) {
  if (frame.type == wire::FrameType::release) {
    pma::v1::ReleaseRequest release;
    PMA_TRY(wire::decode_message(frame, wire::FrameType::release, release));
    PMA_TRY(ctx.sinks.reservations.release(id, release.txn_id(), release.hold_id()));
    spdlog::info("hq: {} released the hold for {}", who(id), release.txn_id());
    return std::vector<std::uint8_t>{};
  }
  pma::v1::ReserveRequest request;
  PMA_TRY(wire::decode_message(frame, wire::FrameType::reserve, request));
  std::int64_t now = ctx.clock.now_ms();
  auto reply =
      ctx.sinks.reservations.reserve(id, request, now, now + ctx.config.reservation_hold.count());
  if (!reply) return std::unexpected(reply.error());
  if (reply->granted()) {
    ++ctx.stats.reservations_granted;
  } else {
    ++ctx.stats.reservations_refused;
    spdlog::info("hq: {} reservation for {} refused: {}", who(id), request.txn_id(),
                 reply->refusals(0).message());
  }
  return wire::encode_message(wire::FrameType::reserve_reply, *reply);
}

bool is_reservation(wire::FrameType type) {
  return type == wire::FrameType::reserve || type == wire::FrameType::release;
}

// The conversation after the TLS handshake and admission: a sync session opens with Hello;
// reserve and release frames may come first (a reservation needs no handshake) or between a
// session's other frames. on_hello runs when the session says Hello. Returns an error to report.
asio::awaitable<Status> converse(TlsStream& stream, net::Watchdog& watchdog,
                                 const TerminalIdentity& id, SessionContext& ctx,
                                 const std::function<void()>& on_hello) {
  const auto& config = ctx.config;
  bool greeted = false;
  std::vector<std::uint8_t> out;
  for (;;) {
    watchdog.arm(config.io_timeout);
    auto frame = co_await net::read_frame(stream, config.max_frame_bytes);
    if (!frame) co_return std::unexpected(frame.error());
    if (frame->type == wire::FrameType::bye) co_return Status{};
    if (is_reservation(frame->type)) {
      auto answer = reservation(*frame, id, ctx);
      if (!answer) co_return std::unexpected(answer.error());
      if (answer->empty()) continue;
      out = std::move(*answer);
    } else if (!greeted) {
      pma::v1::Hello hello;
      if (auto ok = wire::decode_message(*frame, wire::FrameType::hello, hello); !ok) co_return ok;
      on_hello();
      auto highest = ctx.sinks.batches.highest_applied(id);
      if (!highest) co_return std::unexpected(highest.error());
      pma::v1::Handshake handshake;
      handshake.set_highest_applied_seq(*highest);
      handshake.set_max_batch_bytes(config.max_frame_bytes);
      handshake.set_max_batch_deltas(config.max_batch_deltas);
      handshake.set_server_time_ms(ctx.clock.now_ms());
      handshake.set_store_id(id.store_id);
      handshake.set_terminal_id(id.terminal_id);
      handshake.set_protocol_version(wire::kColumnarProtocolVersion);
      const std::vector<std::string> asked(hello.provisional_ids().begin(),
                                           hello.provisional_ids().end());
      auto mappings = ctx.sinks.batches.id_mappings(id, asked);
      if (!mappings) co_return std::unexpected(mappings.error());
      for (auto& m : *mappings) *handshake.add_id_mappings() = std::move(m);
      out = wire::encode_message(wire::FrameType::handshake, handshake);
      greeted = true;
    } else if (frame->type == wire::FrameType::batch) {
      pma::v1::Batch batch;
      if (auto ok = wire::decode_batch(*frame, batch); !ok) co_return ok;
      if (batch.deltas_size() > static_cast<int>(config.max_batch_deltas)) {
        co_return fail("batch_too_long", fmt::format("batch of {} deltas, the limit is {}",
                                                     batch.deltas_size(), config.max_batch_deltas));
      }
      const std::int64_t now_ms = ctx.clock.now_ms();
      auto outcome = ctx.sinks.batches.apply_batch(id, batch, now_ms);
      if (!outcome) co_return std::unexpected(outcome.error());
      ++ctx.stats.batches;
      ctx.stats.deltas_applied += outcome->applied;
      ctx.metrics.batch_applied({id.store_id, id.terminal_id}, outcome->highest_applied,
                                outcome->applied, now_ms);
      if (outcome->gap_from) {
        pma::v1::ResendRequest resend;
        resend.set_from_seq(*outcome->gap_from);
        resend.set_reason(fmt::format("gap: next expected seq is {}", *outcome->gap_from));
        out = wire::encode_message(wire::FrameType::resend_request, resend);
        spdlog::info("hq: {} sent past a gap; asked to resend from {}", who(id),
                     *outcome->gap_from);
      } else {
        pma::v1::Ack ack;
        ack.set_highest_applied_seq(outcome->highest_applied);
        ack.set_applied(outcome->applied);
        ack.set_duplicates(outcome->duplicates);
        for (auto& m : outcome->id_mappings) *ack.add_id_mappings() = std::move(m);
        out = wire::encode_message(wire::FrameType::ack, ack);
      }
    } else if (frame->type == wire::FrameType::pull_request) {
      pma::v1::PullRequest pull;
      if (auto ok = wire::decode_message(*frame, wire::FrameType::pull_request, pull); !ok) {
        co_return ok;
      }
      std::uint32_t limit = pull.max_members() == 0
                                ? config.max_page_members
                                : std::min(pull.max_members(), config.max_page_members);
      auto page = ctx.sinks.pages.member_page(id, pull.member_cursor(), limit,
                                              pull.rule_set_version(), ctx.clock.now_ms());
      if (!page) co_return std::unexpected(page.error());
      ctx.metrics.page_served(static_cast<std::uint32_t>(page->members_size()));
      out = wire::encode_message(wire::FrameType::member_page, *page);
      if (out.size() - wire::kHeaderSize > config.max_frame_bytes) {
        co_return fail("page_too_large",
                       "a member page exceeds the frame limit; lower "
                       "max_page_members");
      }
    } else {
      co_return fail("frame_unexpected",
                     fmt::format("unexpected {} frame", wire::frame_type_name(frame->type)));
    }
    watchdog.arm(config.io_timeout);
    if (auto ok = co_await net::write_frame(stream, out); !ok) co_return ok;
  }
}

// Whether a terminal is refused (memberhq terminal revoke), and why. A read only (last_seen is
// noted in memory and written by flush_loop), so a memberhq command holding the database's
// write lock does not hold up sessions. Fails closed when the sink cannot tell.
std::optional<Error> terminal_refusal(const TerminalIdentity& id, const std::string& peer,
                                      SessionContext& ctx) {
  auto revoked = ctx.sinks.terminal_access.check_terminal(id, ctx.clock.now_ms());
  if (revoked && !*revoked) return std::nullopt;
  if (!revoked) {
    ++ctx.stats.protocol_errors;
    Error error{"terminal_check_failed",
                fmt::format("HQ cannot check terminal {}: {}", who(id), revoked.error().message)};
    spdlog::error("hq: {} ({}) refused: {}", who(id), peer, error.message);
    return error;
  }
  ++ctx.stats.refused_revoked;
  spdlog::warn("hq: {} ({}) refused: terminal revoked", who(id), peer);
  return Error{
      "terminal_revoked",
      fmt::format("terminal {} is revoked at HQ; HQ operations can reinstate it", who(id))};
}

// Tells a refused terminal why and lets it go.
asio::awaitable<void> refuse(TlsStream& stream, net::Watchdog& watchdog, const Error& error,
                             SessionContext& ctx) {
  // Read the first frame first: closing with it unread would reset the connection, and the
  // reset can overtake the error frame on its way to the client.
  (void)co_await net::read_frame(stream, ctx.config.max_frame_bytes);
  watchdog.arm(std::chrono::milliseconds(2000));
  co_await send(stream, wire::encode_error(error));
  (void)co_await stream.async_shutdown(asio::as_tuple(asio::use_awaitable));
  watchdog.disarm();
}

asio::awaitable<void> session(std::shared_ptr<TlsStream> stream, SessionContext ctx) {
  std::string peer = "?";
  boost::system::error_code ec;
  auto endpoint = stream->lowest_layer().remote_endpoint(ec);
  if (!ec) peer = fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  std::weak_ptr<TlsStream> weak = stream;
  net::Watchdog watchdog(stream->get_executor(), [weak] {
    if (auto s = weak.lock()) {
      boost::system::error_code ignored;
      s->lowest_layer().close(ignored);
    }
  });
  // Unauthenticated peers hold no session slot, only a handshake one, for handshake_timeout.
  // (accept_loop counted this connection among the handshakes under way.)
  watchdog.arm(ctx.config.handshake_timeout);
  auto [hs_ec] = co_await stream->async_handshake(ssl::stream_base::server,
                                                  asio::as_tuple(asio::use_awaitable));
  --ctx.state->handshakes;
  watchdog.arm(ctx.config.io_timeout);
  if (hs_ec) {
    ++ctx.stats.refused_tls;
    spdlog::warn("hq: TLS handshake with {} refused: {}", peer, hs_ec.message());
    co_return;
  }
  auto id = net::peer_identity(stream->native_handle());
  if (!id) {
    ++ctx.stats.refused_tls;
    spdlog::warn("hq: {} refused: {}", peer, id.error().message);
    co_await send(*stream, wire::encode_error(id.error()));
    co_return;
  }
  // Admission before any database work: a full HQ (or store share) answers Busy without
  // touching the sink.
  const TerminalKey key{id->store_id, id->terminal_id};
  if (auto busy = admission(ctx, key)) {
    co_await send(*stream, wire::encode_message(wire::FrameType::busy, *busy));
    co_return;
  }
  // No suspension between the admission check and taking the slot; a refused terminal never
  // takes one.
  if (auto refusal = terminal_refusal(*id, peer, ctx)) {
    co_await refuse(*stream, watchdog, *refusal, ctx);
    co_return;
  }
  if (auto it = ctx.state->by_terminal.find(key);
      it != ctx.state->by_terminal.end() &&
      it->second.size() >= ctx.config.max_sessions_per_terminal) {
    replace_oldest(ctx, key, false, 0);
  }
  const std::uint64_t session_id = ++ctx.state->next_id;
  auto& mine = ctx.state->by_terminal[key];
  mine.push_back({session_id, stream, false});
  ++ctx.state->per_store[key.first];
  ++ctx.stats.sessions_active;
  ++ctx.stats.sessions_total;
  // This session's entry while it is on the books (a newer session may take it off).
  auto entry = [&ctx, &key,
                session_id]() -> std::optional<std::list<Server::State::Admitted>::iterator> {
    auto found = ctx.state->by_terminal.find(key);
    if (found == ctx.state->by_terminal.end()) return std::nullopt;
    for (auto it = found->second.begin(); it != found->second.end(); ++it) {
      if (it->id == session_id) return it;
    }
    return std::nullopt;
  };
  // One sync session per terminal: a new Hello means the older one is a leftover (a till that
  // restarted, a stuck connection) or a copy of the certificate.
  auto on_hello = [&] {
    while (replace_oldest(ctx, key, true, session_id)) {
    }
    if (auto it = entry()) (*it)->sync = true;
  };
  auto result = co_await converse(*stream, watchdog, *id, ctx, on_hello);
  watchdog.disarm();
  auto still_mine = entry();
  if (!still_mine) co_return;  // a newer session of the terminal closed this one
  forget(ctx, key, *still_mine);
  if (!result && result.error().code != "io_closed") {
    ++ctx.stats.protocol_errors;
    spdlog::warn("hq: session {} ({}) ended: {}: {}", who(*id), peer, result.error().code,
                 result.error().message);
    if (stream->lowest_layer().is_open()) {
      watchdog.arm(std::chrono::milliseconds(2000));
      co_await send(*stream, wire::encode_error(result.error()));
    }
  } else {
    watchdog.arm(std::chrono::milliseconds(2000));
    (void)co_await stream->async_shutdown(asio::as_tuple(asio::use_awaitable));
  }
  watchdog.disarm();
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::State> state, SessionContext ctx) {
  // Every terminal the database knows, with its watermark, in the metrics (so /metrics lists
  // terminals that have not sent a batch since memberhq started): read on the loop's first turn,
  // not in start(), so a sink handed over before it is ready is not read early.
  if (auto known = ctx.sinks.terminal_access.terminals(); known) {
    for (const auto& t : *known)
      ctx.metrics.seed_terminal({t.store_id, t.terminal_id}, t.highest_seq);
  } else {
    spdlog::warn("hq: terminals not read for /metrics: {}", known.error().message);
  }
  for (;;) {
    auto [ec, socket] = co_await state->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (state->stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted) co_return;
      spdlog::warn("hq: accept failed: {}; pausing accepts for 100 ms", ec.message());
      // Out of descriptors (EMFILE) fails at once again: wait instead of spinning.
      asio::steady_timer pause(state->acceptor->get_executor(), std::chrono::milliseconds(100));
      (void)co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      if (state->stopped) co_return;
      continue;
    }
    if (state->handshakes >= ctx.config.max_handshakes) {
      ++ctx.stats.refused_handshakes;
      socket.close(ec);
      continue;
    }
    ++state->handshakes;  // until the session's handshake ends
    socket.set_option(tcp::no_delay(true), ec);
    auto stream = std::make_shared<TlsStream>(std::move(socket), *state->tls);
    state->sessions.remove_if([](const auto& w) { return w.expired(); });
    state->sessions.push_back(stream);
    asio::co_spawn(state->acceptor->get_executor(), session(stream, ctx), asio::detached);
  }
}

void flush_terminal_activity(Administration& sink, std::chrono::milliseconds interval) {
  if (auto ok = sink.flush_terminal_activity(); !ok) {
    spdlog::warn("hq: terminals' last-seen times not written yet ({}); next try in {} ms",
                 ok.error().message, interval.count());
  }
}

// Writes the terminals' last-seen times every interval, off the sessions' path; a flush that
// finds the database locked (a memberhq command) is retried at the next tick.
asio::awaitable<void> flush_loop(std::shared_ptr<Server::State> state, Administration& sink,
                                 std::chrono::milliseconds interval) {
  for (;;) {
    state->flush_timer->expires_after(interval);
    (void)co_await state->flush_timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (state->stopped) co_return;
    flush_terminal_activity(sink, interval);
  }
}

}  // namespace

Server::Server(asio::io_context& io, ServerSinks sinks, ServerConfig config,
               const pma::Clock& clock)
    : io_(io),
      sinks_(sinks),
      config_(std::move(config)),
      clock_(clock),
      stats_(std::make_shared<ServerStats>()),
      metrics_(std::make_shared<HqMetrics>()),
      state_(std::make_shared<State>()) {}

Server::~Server() { stop(); }

Result<std::uint16_t> Server::start() {
  PMA_TRY(config_.validate());
  PMA_TRY_ASSIGN(auto tls, net::make_server_context(config_.tls));
  state_->tls = tls;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config_.listen_address, ec);
  if (ec) return fail("listen", fmt::format("bad listen address '{}'", config_.listen_address));
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  tcp::endpoint endpoint(address, config_.port);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("listen", fmt::format("cannot listen on {}:{}: {}", config_.listen_address,
                                      config_.port, ec.message()));
  }
  std::uint16_t port = acceptor->local_endpoint().port();
  state_->acceptor = std::move(acceptor);
  state_->flush_timer = std::make_unique<asio::steady_timer>(io_);
  asio::co_spawn(io_, flush_loop(state_, sinks_.terminal_access, config_.last_seen_flush),
                 asio::detached);
  asio::co_spawn(
      io_,
      accept_loop(state_, SessionContext(sinks_, std::make_shared<const ServerConfig>(config_),
                                         stats_, metrics_, clock_, state_)),
      asio::detached);
  return port;
}

void Server::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ec;
  if (state_->acceptor) state_->acceptor->close(ec);
  for (auto& weak : state_->sessions) {
    if (auto s = weak.lock()) s->lowest_layer().close(ec);
  }
  if (state_->flush_timer) {
    state_->flush_timer->cancel();
    flush_terminal_activity(sinks_.terminal_access, config_.last_seen_flush);
  }
}

}  // namespace pma::hq

#include "sync/client/reserver.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

#include "sync/client/client_state.h"
#include "sync/client/connect.h"
#include "sync/net/frame_stream.h"
#include "sync/net/watchdog.h"
#include "sync/wire/messages.h"

namespace pma::sync {

namespace asio = boost::asio;
// Budgets and retry pauses are intervals on this machine: monotonic, not wall time (pma::Clock).
using SteadyClock = std::chrono::steady_clock;

struct Reserver::State {
  explicit State(asio::io_context& io) : idle_timer(io) {}
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::shared_ptr<TlsStream> idle;  // an open connection nobody is using
  asio::steady_timer idle_timer;
  SteadyClock::time_point pause_until{};
  bool stopped = false;
  ReserverStats stats;
};

namespace {

void close(const std::shared_ptr<TlsStream>& stream) {
  boost::system::error_code ignored;
  if (stream) stream->lowest_layer().close(ignored);
}

std::chrono::milliseconds remaining(SteadyClock::time_point deadline) {
  return std::max(
      std::chrono::milliseconds(1),
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
}

// Says goodbye on an idle connection (HQ then ends the session cleanly) and closes it.
asio::awaitable<void> close_politely(std::shared_ptr<TlsStream> stream) {
  auto bye = wire::encode_message(wire::FrameType::bye, pma::v1::Bye());
  std::weak_ptr<TlsStream> weak = stream;
  net::Watchdog watchdog(stream->get_executor(), [weak] { close(weak.lock()); });
  watchdog.arm(std::chrono::milliseconds(1000));
  (void)co_await net::write_frame(*stream, bye);
  (void)co_await stream->async_shutdown(asio::as_tuple(asio::use_awaitable));
  close(stream);
}

}  // namespace

Reserver::Reserver(asio::io_context& io, ClientConfig client, ReserverConfig config,
                   const SyncClient* link)
    : io_(io),
      client_(std::move(client)),
      config_(config),
      link_(link),
      state_(std::make_shared<State>(io)) {}

Reserver::~Reserver() { stop(); }

Status Reserver::start() {
  if (auto ok = client_.validate(); !ok) return ok;
  if (config_.budget.count() <= 0) {
    return fail("config_invalid", "the reservation budget must be positive");
  }
  PMA_TRY_ASSIGN(auto tls, net::make_client_context(client_.tls));
  state_->tls = tls;
  state_->stopped = false;
  return {};
}

void Reserver::stop() {
  state_->stopped = true;
  state_->idle_timer.cancel();
  close(std::exchange(state_->idle, nullptr));
}

const ReserverStats& Reserver::stats() const { return state_->stats; }

bool Reserver::paused() const { return SteadyClock::now() < state_->pause_until; }

asio::awaitable<ReserveOutcome> Reserver::reserve(pma::v1::ReserveRequest request) {
  auto state = state_;
  auto skipped = [&](std::string message) -> ReserveOutcome {
    ++state->stats.skipped;
    return ReserveUnanswered{.cause = Error{"hq_skipped", std::move(message)}, .may_hold = false};
  };
  if (state->stopped || !state->tls) co_return skipped("reservations are not running");
  if (link_ && !link_->hq_refusal().empty()) {
    // HQ answered the last sync session with a refusal of this terminal: asking would only
    // cost the checkout a round trip to the same answer.
    co_return skipped(
        fmt::format("HQ refuses this terminal ({}); offline rules apply", link_->hq_refusal()));
  }
  auto started = SteadyClock::now();
  if (started < state->pause_until) {
    co_return skipped("HQ did not answer a moment ago; offline rules apply for now");
  }
  const auto deadline = started + config_.budget;
  const auto out = wire::encode_message(wire::FrameType::reserve, request);
  // Exclusive use of the idle connection; a second checkout at the same time opens its own.
  auto stream = std::exchange(state->idle, nullptr);
  bool reused = stream != nullptr;
  Error last{"hq_timeout", ""};
  // Once a reserve frame has been handed to the socket on any attempt, HQ may have read it and
  // hold something for this txn even though no answer arrives.
  bool may_hold = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const bool written_before = may_hold;
    auto timed_out = std::make_shared<bool>(false);
    // Set once the exchange is over: an expiry already queued then must not close a connection
    // parked for reuse.
    auto over = std::make_shared<bool>(false);
    if (!stream) stream = std::make_shared<TlsStream>(io_, *state->tls);
    std::weak_ptr<TlsStream> weak = stream;
    net::Watchdog watchdog(io_.get_executor(), [weak, timed_out, over] {
      if (*over) return;
      *timed_out = true;
      close(weak.lock());
    });
    watchdog.arm(remaining(deadline));
    Status sent = Status{};
    if (!reused) {
      ++state->stats.connections;
      auto connected = co_await connect_tls(*stream, hq_address());
      if (!connected) sent = std::unexpected(std::move(connected.error().error));
    }
    if (sent) {
      may_hold = true;
      sent = co_await net::write_frame(*stream, out);
    }
    Result<wire::Frame> frame = std::unexpected(Error{"io_error", ""});
    if (sent) {
      frame = co_await net::read_frame(*stream, wire::kDefaultMaxPayload);
    } else {
      frame = std::unexpected(sent.error());
    }
    *over = true;
    watchdog.disarm();
    if (frame && !*timed_out) {
      pma::v1::ReserveReply reply;
      Status ok = Status{};
      bool busy = false;
      if (frame->type == wire::FrameType::busy) {
        // HQ turned the session away before reading the request: nothing is held.
        busy = true;
        ok = fail("hq_busy", "HQ is busy");
      } else if (frame->type == wire::FrameType::error) {
        Error refused = wire::peer_error(*frame, "hq_refused");
        ok = fail(refused.code, fmt::format("HQ refused the reservation: {}", refused.message));
      } else {
        ok = wire::decode_message(*frame, wire::FrameType::reserve_reply, reply);
      }
      if (ok && reply.txn_id() != request.txn_id()) {
        ok = fail("protocol", fmt::format("HQ answered for {}, asked for {}", reply.txn_id(),
                                          request.txn_id()));
      }
      if (ok) {
        ++(reply.granted() ? state->stats.granted : state->stats.refused);
        if (!state->stopped && !state->idle) {
          state->idle = stream;
          state->idle_timer.expires_after(config_.idle_close);
          state->idle_timer.async_wait([state](boost::system::error_code ec) {
            if (ec || !state->idle) return;
            asio::co_spawn(state->idle_timer.get_executor(),
                           close_politely(std::exchange(state->idle, nullptr)), asio::detached);
          });
        } else {
          close(stream);
        }
        if (reply.granted()) co_return ReserveGranted{std::move(reply)};
        co_return ReserveRefused{std::move(reply)};
      }
      close(stream);
      last = ok.error();
      // A busy answer means this attempt's frame was not read; an earlier one may have been.
      if (busy) may_hold = written_before;
      break;
    }
    close(stream);
    last = *timed_out ? Error{"hq_timeout",
                              fmt::format("HQ did not answer within {} ms", config_.budget.count())}
                      : frame.error();
    // A connection HQ closed while it sat idle fails at once: try a fresh one if time is left.
    if (*timed_out || !reused || SteadyClock::now() >= deadline) break;
    stream = nullptr;
    reused = false;
  }
  ++state->stats.unanswered;
  state->pause_until = SteadyClock::now() + config_.retry_pause;
  spdlog::warn(
      "sync: reservation for {} unanswered ({}: {}); offline rules apply, next try in {} s",
      request.txn_id(), last.code, last.message, config_.retry_pause.count() / 1000);
  co_return ReserveUnanswered{.cause = std::move(last), .may_hold = may_hold};
}

HqAddress Reserver::hq_address() const {
  const auto addresses = client_.hq_addresses();
  return addresses[link_ ? link_->current_hq() % addresses.size() : 0];
}

void Reserver::release(std::string txn_id, std::uint64_t hold_id) {
  auto state = state_;
  if (state->stopped || !state->tls) return;
  pma::v1::ReleaseRequest release;
  release.set_txn_id(txn_id);
  release.set_hold_id(hold_id);
  auto out = std::make_shared<std::vector<std::uint8_t>>(
      wire::encode_message(wire::FrameType::release, release));
  auto stream = std::exchange(state->idle, nullptr);
  bool reused = stream != nullptr;
  if (!stream) stream = std::make_shared<TlsStream>(io_, *state->tls);
  asio::co_spawn(
      io_,
      [state, stream, reused, out, hq = hq_address(),
       txn_id = std::move(txn_id)]() -> asio::awaitable<void> {
        std::weak_ptr<TlsStream> weak = stream;
        net::Watchdog watchdog(stream->get_executor(), [weak] { close(weak.lock()); });
        watchdog.arm(std::chrono::milliseconds(5000));
        Status ok = Status{};
        if (!reused) {
          auto connected = co_await connect_tls(*stream, hq);
          if (!connected) ok = std::unexpected(std::move(connected.error().error));
        }
        if (ok) ok = co_await net::write_frame(*stream, *out);
        if (!ok) {
          spdlog::info("sync: could not release the hold for {} ({}); it lapses at HQ", txn_id,
                       ok.error().message);
          close(stream);
          co_return;
        }
        watchdog.disarm();
        co_await close_politely(stream);
      },
      asio::detached);
}

}  // namespace pma::sync

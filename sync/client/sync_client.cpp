#include "sync/client/sync_client.h"

#include <fmt/format.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <random>

#include "sync/client/client_state.h"
#include "sync/net/frame_stream.h"
#include "sync/net/watchdog.h"
#include "sync/wire/messages.h"

namespace pma::sync {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

std::vector<HqAddress> ClientConfig::hq_addresses() const {
  if (!hq.empty()) return hq;
  return {HqAddress{hq_host, hq_port}};
}

Status ClientConfig::validate() const {
  for (const auto& address : hq_addresses()) {
    if (address.host.empty() || address.port == 0) {
      return fail("config_invalid", "sync.hq_host (or every sync.hq address) is required");
    }
  }
  if (tls.ca_file.empty() || tls.cert_file.empty() || tls.key_file.empty()) {
    return fail("config_invalid", "sync.ca, sync.cert and sync.key are required");
  }
  if (max_batch_deltas == 0 || max_batch_bytes < 1024 || max_page_members == 0) {
    return fail("config_invalid", "batch and page limits must be positive (bytes >= 1024)");
  }
  if (backoff_initial.count() <= 0 || backoff_max < backoff_initial) {
    return fail("config_invalid", "need 0 < backoff_initial_ms <= backoff_max_ms");
  }
  if (reconcile_start_minute < 0 || reconcile_start_minute >= 1440 ||
      reconcile_window_minutes <= 0 || reconcile_window_minutes > 1440) {
    return fail("config_invalid", "reconcile window must lie within one day");
  }
  return {};
}

SyncClient::SyncClient(asio::io_context& io, SyncStore& store, ClientConfig config,
                       const pma::Clock& clock)
    : io_(io),
      store_(store),
      config_(std::move(config)),
      clock_(clock),
      state_(std::make_shared<State>(io)) {}

SyncClient::~SyncClient() { stop(); }

std::chrono::milliseconds SyncClient::backoff_delay(const ClientConfig& config, std::uint32_t n,
                                                    double u) {
  double base = static_cast<double>(config.backoff_initial.count());
  double cap = static_cast<double>(config.backoff_max.count());
  for (std::uint32_t i = 1; i < n && base < cap; ++i) base *= 2;
  base = std::min(base, cap);
  return std::chrono::milliseconds(static_cast<std::int64_t>(base * (0.5 + 0.5 * u)));
}

int SyncClient::reconcile_minute(const ClientConfig& config) {
  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a: stable across builds and hosts
  for (char c : config.jitter_key) {
    hash ^= static_cast<std::uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return (config.reconcile_start_minute +
          static_cast<int>(hash % static_cast<std::uint64_t>(config.reconcile_window_minutes))) %
         1440;
}

Status SyncClient::start() {
  if (auto ok = config_.validate(); !ok) return ok;
  if (!state_->tls) {
    PMA_TRY_ASSIGN(auto tls, net::make_client_context(config_.tls));
    state_->tls = tls;
  }
  if (state_->started) return {};
  state_->started = true;
  state_->stopped = false;
  asio::co_spawn(io_, schedule(), asio::detached);
  return {};
}

void SyncClient::stop() {
  state_->stopped = true;
  state_->timer.cancel();
  if (auto stream = state_->current.lock()) {
    boost::system::error_code ec;
    stream->lowest_layer().close(ec);
  }
}

void SyncClient::sync_now(ProgressFn progress, std::function<void(Result<SyncReport>)> done) {
  asio::co_spawn(io_, run_once(std::move(progress)),
                 [done = std::move(done)](std::exception_ptr e, Result<SyncReport> result) {
                   if (e) result = fail("internal", "sync session threw");
                   if (done) done(std::move(result));
                 });
}

void SyncClient::on_rule_set(RuleSetObserver observer) {
  state_->on_rule_set = std::move(observer);
}

bool SyncClient::reachable() const { return state_->reachable; }

const std::string& SyncClient::hq_refusal() const { return state_->refusal; }

std::size_t SyncClient::current_hq() const { return state_->hq_index; }

Result<SyncStatus> SyncClient::status() {
  PMA_TRY_ASSIGN(auto stats, store_.outbox_stats());
  SyncStatus status;
  status.outbox_depth = stats.depth;
  if (stats.oldest_created_at) {
    status.oldest_unsent_age_s = clock_.now_s() - *stats.oldest_created_at;
  }
  PMA_TRY_ASSIGN(auto last, store_.get_state("sync.last_success_ms"));
  if (last) status.last_success_ms = std::stoll(*last);
  status.reachable = state_->reachable;
  status.last_error = state_->last_error;
  status.refusal = state_->refusal;
  status.consecutive_failures = state_->failures;
  return status;
}

asio::awaitable<void> SyncClient::schedule() {
  auto state = state_;
  std::chrono::milliseconds delay{0};
  while (!state->stopped) {
    state->timer.expires_after(delay);
    (void)co_await state->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (state->stopped) co_return;
    // Store-local wall time in minutes since 1970-01-01 00:00 local: the day and the minute
    // within it follow the store's zone, daylight saving included.
    std::int64_t local_minutes = config_.zone.local_ms_at(clock_.now_ms()) / 60000;
    std::string day = std::to_string(local_minutes / 1440);
    int minute = static_cast<int>(local_minutes % 1440);
    int target = reconcile_minute(config_);
    bool reconcile = false;
    if (minute >= target && minute < target + 60) {
      auto last = store_.get_state("sync.last_reconcile_day");
      reconcile = last && (!*last || **last != day);
    }
    auto outcome = co_await run_session(nullptr, reconcile);
    if (state->stopped) co_return;
    switch (outcome.end) {
      case SessionEnd::completed:
        if (reconcile) (void)store_.set_state("sync.last_reconcile_day", day);
        delay = config_.trickle_interval;
        break;
      case SessionEnd::busy: {
        std::uniform_int_distribution<std::uint32_t> extra(0, state->retry_after_ms / 2 + 1);
        delay = std::chrono::milliseconds(state->retry_after_ms + extra(state->random));
        break;
      }
      case SessionEnd::already_running:
        delay = config_.trickle_interval;
        break;
      case SessionEnd::unreachable:
      case SessionEnd::certificate_refused:
      case SessionEnd::refused:
      case SessionEnd::dropped:
      case SessionEnd::local: {
        std::uniform_real_distribution<double> u(0.0, 1.0);
        delay = backoff_delay(config_, state->failures, u(state->random));
        spdlog::warn("sync: {}: {}; retrying in {} ms", outcome.result.error().code,
                     outcome.result.error().message, delay.count());
        break;
      }
    }
  }
}

}  // namespace pma::sync

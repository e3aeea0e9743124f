#include "agent/daemon/sync_link.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "agent/api/json.h"
#include "pma/error_codes.h"
#include "pma/v1/rules.pb.h"

namespace pma::daemon {

SyncLink::SyncLink(boost::asio::io_context& io, store::Database& db, const config::Config& config,
                   checkout::CheckoutService& checkout, const checkout::StoreClock& clock,
                   std::shared_ptr<spdlog::logger> logger)
    : io_(io),
      db_(db),
      config_(config),
      clock_(clock),
      log_(std::move(logger)),
      sync_store_(db),
      rule_sets_(checkout, sync_store_, log_) {}

Status SyncLink::start() {
  rule_sets_.load_stored();
  if (!config_.sync.enabled()) {
    log_->info("sync: no [sync] hq or hq_host configured; this till runs standalone");
    return {};
  }
  const auto& s = config_.sync;
  sync::ClientConfig client;
  for (const auto& node : s.hq_nodes()) {
    client.hq.push_back({node.host, static_cast<std::uint16_t>(node.port)});
  }
  client.tls = {s.ca_file, s.cert_file, s.key_file};
  client.trickle_interval = std::chrono::milliseconds(s.trickle_interval_ms);
  client.io_timeout = std::chrono::milliseconds(s.io_timeout_ms);
  client.backoff_initial = std::chrono::milliseconds(s.backoff_initial_ms);
  client.backoff_max = std::chrono::milliseconds(s.backoff_max_ms);
  client.max_batch_deltas = static_cast<std::size_t>(s.max_batch_deltas);
  client.max_batch_bytes = static_cast<std::size_t>(s.max_batch_bytes);
  client.max_page_members = static_cast<std::uint32_t>(s.max_page_members);
  client.reconcile_start_minute =
      std::stoi(s.reconcile_start.substr(0, 2)) * 60 + std::stoi(s.reconcile_start.substr(3, 2));
  client.reconcile_window_minutes = static_cast<int>(s.reconcile_window_minutes);
  client.zone = clock_.zone();
  client.jitter_key = config_.store.id + "/" + config_.store.terminal;
  if (auto ok = client.validate(); !ok) return ok;
  client_ = std::make_unique<sync::SyncClient>(io_, sync_store_, client, clock_.wall());
  // Told right after the page carrying a rule set committed (stored for the next start too).
  client_->on_rule_set(
      [this](const pma::v1::RuleSetEnvelope& envelope) { rule_sets_.on_rule_set(envelope); });
  if (auto ok = client_->start(); !ok) return ok;
  if (s.reserve_timeout_ms > 0) {
    reserver_ = std::make_unique<sync::Reserver>(
        io_, client,
        sync::ReserverConfig{.budget = std::chrono::milliseconds(s.reserve_timeout_ms)},
        client_.get());
    if (auto ok = reserver_->start(); !ok) return ok;
    log_->info("sync: online-first reservations on ({} ms budget)", s.reserve_timeout_ms);
  }
  std::string nodes;
  for (const auto& node : client.hq)
    nodes += fmt::format("{}{}:{}", nodes.empty() ? "" : ", ", node.host, node.port);
  log_->info("sync: HQ at {} (in this order), trickle every {} ms", nodes, s.trickle_interval_ms);
  return {};
}

void SyncLink::stop() {
  if (retry_) retry_->cancel();
  if (reserver_) reserver_->stop();
  if (client_) client_->stop();
}

checkout::Connectivity SyncLink::connectivity() const {
  // Asked before every quote, commit and refund: must not touch the database. A reservation HQ
  // just left unanswered counts too, so quotes show what the commit will do (offline limits).
  const bool online =
      client_ != nullptr && client_->reachable() && !(reserver_ && reserver_->paused());
  return online ? checkout::Connectivity::online : checkout::Connectivity::offline;
}

pma::v1::SyncState SyncLink::state() {
  pma::v1::SyncState state;
  state.set_enabled(client_ != nullptr);
  state.set_running(running_);
  state.set_last_run(last_run_);
  if (!client_) {
    // A standalone till keeps its deltas too (for a later pairing): say how long they wait.
    auto stats = sync_store_.outbox_stats();
    if (stats) {
      state.set_outbox_depth(stats->depth);
      if (stats->oldest_created_at) {
        state.set_oldest_unsent_age_seconds(clock_.wall().now_s() - *stats->oldest_created_at);
      }
    }
    return state;
  }
  auto status = client_->status();
  if (!status) {
    state.set_last_error(status.error().message);
    return state;
  }
  state.set_hq_reachable(status->reachable);
  if (reserver_) {
    const auto& r = reserver_->stats();
    state.set_reservations_granted(r.granted);
    state.set_reservations_refused(r.refused);
    state.set_reservations_unanswered(r.unanswered + r.skipped);
  }
  state.set_outbox_depth(status->outbox_depth);
  state.set_oldest_unsent_age_seconds(status->oldest_unsent_age_s.value_or(0));
  if (status->last_success_ms) {
    state.set_last_success(
        fmt::format("{:%Y-%m-%dT%H:%M:%SZ}",
                    fmt::gmtime(static_cast<std::time_t>(*status->last_success_ms / 1000))));
  }
  state.set_last_error(status->last_error);
  state.set_consecutive_failures(status->consecutive_failures);
  return state;
}

void SyncLink::run_requested(int attempts_left) {
  client_->sync_now(
      [this](const sync::SyncProgress& p) {
        last_run_ = fmt::format("running: {} deltas sent, {} members applied", p.deltas_sent,
                                p.members_applied);
      },
      [this, attempts_left](Result<sync::SyncReport> report) {
        if (!report && report.error().code == "sync_in_progress" && attempts_left > 0) {
          last_run_ = "running: waiting for the scheduled sync to finish";
          if (!retry_) retry_ = std::make_unique<boost::asio::steady_timer>(io_);
          retry_->expires_after(std::chrono::milliseconds(200));
          retry_->async_wait([this, attempts_left](const boost::system::error_code& ec) {
            if (!ec) run_requested(attempts_left - 1);
          });
          return;
        }
        running_ = false;
        if (report) {
          last_run_ = fmt::format("ok: {} deltas acknowledged, {} members applied{}",
                                  report->deltas_acked, report->members_applied,
                                  report->rule_set_updated ? ", new loyalty rules" : "");
        } else {
          last_run_ = "failed: " + report.error().message;
        }
        log_->info("sync: {}", last_run_);
      });
}

void SyncLink::add_routes(api::Router& router) {
  router.add("GET", "/v1/sync",
             [this](const api::ApiRequest&) { return api::json_response(200, state()); });
  router.add("POST", "/v1/sync", [this](const api::ApiRequest&) {
    if (!client_) {
      return api::error_response(pma::err::sync_disabled,
                                 "this till has no [sync] hq_host; nothing to sync with");
    }
    if (!running_) {
      running_ = true;
      last_run_ = "running";
      log_->info("sync: started by request");
      run_requested(50);
    }
    return api::json_response(202, state());
  });
}

}  // namespace pma::daemon

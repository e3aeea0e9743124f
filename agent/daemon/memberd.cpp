// memberd: the member agent on a POS box. main owns the io_context and every concrete part,
// and passes dependencies into constructors; nothing else is global.
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "agent/admin/demo_members.h"
#include "agent/api/checkout_api.h"
#include "agent/api/event_hub.h"
#include "agent/api/http_server.h"
#include "agent/api/member_api.h"
#include "agent/api/metrics.h"
#include "agent/api/openapi.h"
#include "agent/api/port_file.h"
#include "agent/api/print_api.h"
#include "agent/api/router.h"
#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "agent/checkout/online_first_checkout.h"
#include "agent/config/config.h"
#include "agent/config/state_files.h"
#include "agent/daemon/daemon_metrics.h"
#include "agent/daemon/printer_fleet.h"
#include "agent/daemon/scanner_fleet.h"
#include "agent/daemon/sync_link.h"
#include "agent/daemon/systemd_notify.h"
#include "agent/log/logging.h"
#include "agent/lookup/member_lookup.h"
#include "agent/scan/scan_service.h"
#include "agent/store/member_store.h"
#include "agent/store/migrations.h"
#include "agent/store/qr_replay_store.h"
#include "drivers/codes/crypto.h"
#include "drivers/codes/member_qr_verifier.h"

namespace {

constexpr const char* kVersion = "0.1.0";

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "memberd: the POS member agent. Resolves scanned member codes from a local SQLite cache,\n"
      "serves the till's local API on 127.0.0.1, and keeps counting while HQ is unreachable."};
  std::string config_path;
  std::string state_dir;
  std::string log_level;
  bool check_config = false;
  std::int64_t demo_members = -1;
  bool version = false;
  bool list_routes = false;
  app.add_option("-c,--config", config_path,
                 "TOML config file (default: /etc/memberd/memberd.toml if present, else built-in "
                 "defaults)");
  app.add_option("-s,--state-dir", state_dir,
                 "state folder for the database, API token and phone-hash key (overrides "
                 "state.dir)");
  app.add_flag("--check-config", check_config, "validate the config and exit (0 when valid)");
  app.add_option("--demo", demo_members,
                 "seed N demo members on first start (empty cache only); --demo alone seeds 500")
      ->expected(0, 1)
      ->default_str("500");
  app.add_option("--log-level", log_level,
                 "trace, debug, info, warn or error (overrides log.level)");
  app.add_flag("-V,--version", version, "print the version and exit");
  app.add_flag("--list-routes", list_routes,
               "print every route of the local API (METHOD PATTERN per line) and exit");
  app.footer(
      "Examples:\n"
      "  memberd --state-dir ./state --demo    run with 500 demo members, no hardware needed\n"
      "  memberd --config /etc/memberd/memberd.toml --check-config\n"
      "Signals: SIGTERM or SIGINT finish the requests in flight, close the database and exit 0.\n");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (app.count("--demo") > 0 && demo_members < 0) demo_members = 500;
  if (version) {
    std::cout << "memberd " << kVersion << "\n";
    return 0;
  }

  std::string used_path;
  auto config = pma::config::load_effective_config(config_path, state_dir, &used_path);
  if (!config) {
    std::cerr << "memberd: " << config.error().message << "\n";
    return 2;
  }
  if (!log_level.empty()) {
    if (auto level = pma::log::parse_level(log_level); !level) {
      std::cerr << "memberd: --log-level: " << level.error().message << "\n";
      return 2;
    }
    config->log.level = log_level;
  }
  if (check_config) {
    if (auto warning = config->store.deprecation_warning(); !warning.empty()) {
      std::cerr << "memberd: warning: " << warning << "\n";
    }
    std::cout << "memberd: config OK (" << (used_path.empty() ? "built-in defaults" : used_path)
              << "): store " << config->store.id << " terminal " << config->store.terminal
              << ", database " << config->database_path() << ", API " << config->api.listen << ":"
              << config->api.port << "\n";
    return 0;
  }

  auto log = pma::log::make_logger("memberd", config->log.level);
  log->info("memberd {} starting: store {} terminal {}, config {}", kVersion, config->store.id,
            config->store.terminal, used_path.empty() ? "built-in defaults" : used_path);
  if (auto warning = config->store.deprecation_warning(); !warning.empty())
    log->warn("{}", warning);
  auto store_zone = config->store.zone();
  if (!store_zone) {
    log->critical("{}", store_zone.error().message);
    return 1;
  }
  // The one wall clock memberd reads; everything that stamps or dates is handed this.
  const pma::SystemClock wall_clock;
  const auto unix_now = [&wall_clock] { return wall_clock.now_s(); };
  const auto unix_now_ms = [&wall_clock] { return wall_clock.now_ms(); };

  if (auto ok = pma::config::ensure_state_dir(config->state.dir); !ok) {
    log->critical("{}", ok.error().message);
    return 1;
  }
  // An empty token (an older memberd killed while creating it) is replaced: no client can
  // hold an empty token.
  auto token = pma::config::read_or_create_secret(config->token_path(), 0640,
                                                  pma::config::OnEmpty::regenerate);
  if (!token) {
    log->critical("API token: {}", token.error().message);
    return 1;
  }
  // An empty phone-hash key is replaced only before the database exists (a first start that
  // was killed): afterwards the cache's phone hashes were made with the lost key.
  std::error_code db_exists_error;
  auto phone_key = pma::config::read_or_create_secret(
      config->phone_hash_key_path(), 0600,
      std::filesystem::exists(config->database_path(), db_exists_error)
          ? pma::config::OnEmpty::refuse
          : pma::config::OnEmpty::regenerate);
  if (!phone_key) {
    log->critical("phone-hash key: {}", phone_key.error().message);
    return 1;
  }

  pma::store::OpenOptions db_options;
  db_options.synchronous = config->database.synchronous;
  db_options.busy_timeout_ms = static_cast<int>(config->database.busy_timeout_ms);
  db_options.cache_size_kib = static_cast<int>(config->database.cache_size_kib);
  // Checkpoints run from the loop between requests (below), not inside a checkout's commit;
  // SQLite's own auto-checkpoint stays as a backstop should the loop be busy for long.
  db_options.wal_autocheckpoint = 10000;
  auto db = pma::store::open_store(config->database_path(), db_options);
  if (!db) {
    log->critical("database: {}", db.error().message);
    return 1;
  }
  pma::PhoneHasher hasher(*phone_key);
  pma::store::MemberStore members(**db, hasher);

  std::int64_t seed = demo_members >= 0 ? demo_members : config->demo.seed_members;
  if (seed > 0 && members.count().value_or(1) == 0) {
    log->info("seeding {} demo members", seed);
    if (auto ok = pma::admin::seed_demo_members(**db, members, 0, seed, 2026, unix_now()); !ok) {
      log->critical("demo seed failed: {}", ok.error().message);
      return 1;
    }
  }
  log->info("database {} (schema {}), {} members", config->database_path(), (*db)->user_version(),
            members.count().value_or(-1));

  // Dynamic member QR codes are verified offline with HQ's public keys.
  // Its replay cache also lives in the database: a restart must not accept a used code again.
  pma::store::QrReplayStore qr_replays(**db);
  pma::codes::MemberQrVerifier qr_verifier;
  qr_verifier.set_replay_store(&qr_replays);
  for (const auto& [key_id, path] : config->codes.hq_keys) {
    auto key = pma::codes::Ed25519PublicKey::load_pem_file(path);
    if (!key) {
      log->critical("codes.hq_keys.{}: {}", key_id, key.error().message);
      return 1;
    }
    if (auto ok = qr_verifier.add_hq_key(key_id, *key); !ok) {
      log->critical("codes.hq_keys.{}: {}", key_id, ok.error().message);
      return 1;
    }
  }
  if (config->codes.hq_keys.empty()) {
    log->info("no HQ keys configured ([codes.hq_keys]): dynamic member QR codes will be refused");
  }

  boost::asio::io_context io(1);
  pma::daemon::ScannerFleet scanners(io);
  pma::daemon::PrinterFleet printers(io, **db);
  pma::api::EventHub events(static_cast<std::size_t>(config->events.replay_buffer));
  pma::api::Router router;
  pma::api::Metrics metrics;
  router.set_metrics(&metrics);
  const pma::checkout::StoreClock store_clock(wall_clock, *store_zone);
  pma::checkout::CheckoutService checkout(**db, hasher,
                                          {.store_id = config->store.id,
                                           .terminal_id = config->store.terminal,
                                           .card_rules = config->codes.rules},
                                          store_clock);
  pma::daemon::SyncLink sync_link(io, **db, *config, checkout, store_clock, log);
  if (auto ok = sync_link.start(); !ok) {
    log->critical("sync: {}", ok.error().message);
    return 1;
  }
  sync_link.add_routes(router);
  // One lookup path for scans and the lookup API; the QR verifier checks member QR codes.
  pma::lookup::MemberLookup member_lookup(members, qr_verifier, config->codes.rules);
  pma::api::MemberApi member_api(
      pma::api::MemberApiContext{.db = **db,
                                 .members = members,
                                 .lookup = member_lookup,
                                 .store_id = config->store.id,
                                 .terminal_id = config->store.terminal,
                                 .version = kVersion,
                                 .now = unix_now,
                                 .devices =
                                     [&] {
                                       auto states = scanners.states();
                                       for (auto& p : printers.states())
                                         states.push_back(std::move(p));
                                       return states;
                                     },
                                 .sync_state = [&] { return sync_link.state(); }},
      log);
  member_api.add_routes(router);

  printers.on_state_change([&](const pma::v1::DeviceState& state) {
    log->info("printer {}: {}{}{}", state.name(), state.state(), state.reason().empty() ? "" : ": ",
              state.reason());
    pma::v1::Event event;
    *event.mutable_device() = state;
    events.publish(std::move(event), unix_now_ms());
  });
  if (auto ok = printers.start(config->printers); !ok) {
    log->critical("printers: {}", ok.error().message);
    return 1;
  }
  pma::api::PrintApi print_api(
      {.queue = [&](const std::string& name) { return printers.queue(name); },
       .paper = [&](const std::string& name) { return printers.paper(name); },
       .receipt_printer = config->printing.receipt_printer,
       .store_name = config->store.name,
       .store_time =
           [&] {
             // The store zone's wall time, formatted as if it were UTC.
             const std::chrono::sys_time<std::chrono::milliseconds> local{
                 std::chrono::milliseconds(store_clock.zone().local_ms_at(wall_clock.now_ms()))};
             return fmt::format("{:%Y-%m-%d %H:%M:%S}",
                                std::chrono::floor<std::chrono::seconds>(local));
           }},
      log);
  print_api.add_routes(router);
  pma::checkout::OnlineFirstCheckout commits(checkout, sync_link.reservations(), log);
  commits.on_committed([&](const pma::v1::CommitResponse& commit) {
    if (!config->printing.print_on_commit) return;
    if (auto ok = print_api.print_commit(commit); !ok) {
      log->warn("member receipt for {} not queued: {}", commit.txn_id(), ok.error().message);
    }
  });
  pma::api::CheckoutApi checkout_api(
      checkout, commits, [&] { return sync_link.connectivity(); }, log);
  checkout_api.add_routes(router);

  pma::scan::ScanService scan_service(
      member_lookup,
      [&](pma::v1::Event event) { return events.publish(std::move(event), unix_now_ms()); },
      unix_now_ms, log);
  auto started_scanners = scanners.start(
      config->scanners, [&](const pma::scanner::ScanEvent& scan) { scan_service.on_scan(scan); },
      [&](const pma::scanner::ScannerStatus& status) {
        log->info("scanner {}: {}{}{}", status.name, pma::scanner::to_string(status.state),
                  status.reason.empty() ? "" : ": ", status.reason);
        pma::v1::Event event;
        *event.mutable_device() = pma::daemon::to_device_state(status);
        events.publish(std::move(event), unix_now_ms());
      });
  if (!started_scanners) {
    log->critical("{}", started_scanners.error().message);
    return 1;
  }
  pma::daemon::add_daemon_metrics(metrics, scan_service, sync_link, printers, scanners);
  router.add("GET", "/metrics", [&](const pma::api::ApiRequest&) {
    return pma::api::ApiResponse{200, metrics.render(), "text/plain; version=0.0.4"};
  });
  pma::api::add_openapi_routes(router);
  pma::api::PosTokens pos_tokens(config->pos_tokens_path(), config->api.allowed_origins, unix_now);
  pos_tokens.add_routes(router);
  if (list_routes) {  // the OpenAPI document's test compares these with the documented ones
    for (const auto& route : router.routes())
      std::cout << route.method << ' ' << route.pattern << '\n';
    return 0;
  }
  if (auto ok = pos_tokens.load(); !ok) {
    log->critical("{}", ok.error().message);
    return 1;
  }

  pma::api::HttpServer server(
      io, router,
      pma::api::HttpServerOptions{
          .listen = config->api.listen,
          .port = static_cast<std::uint16_t>(config->api.port),
          .token = *token,
          .max_body_bytes = static_cast<std::size_t>(config->api.max_body_bytes),
          .idle_timeout = std::chrono::milliseconds(config->api.idle_timeout_ms),
          .max_connections = static_cast<std::size_t>(config->api.max_connections),
          .allowed_origins = config->api.allowed_origins,
          .pos_tokens = &pos_tokens},
      log);
  server.set_event_hub(&events);
  if (auto ok = server.start(); !ok) {
    log->critical("{}", ok.error().message);
    return 1;
  }
  log->info("local API listening on http://{}:{} (token in {})", config->api.listen, server.port(),
            config->token_path());
  if (auto ok = pma::api::write_port_file(config->state.dir, server.port()); !ok) {
    log->warn("{} (memberctl -s will not find this port)", ok.error().message);
  }
  if (seed > 0 || isatty(STDOUT_FILENO)) {
    std::string example = "8860000000000000";
    if (auto first = members.find_by_id("M00000001", unix_now()); first && *first) {
      example = (*first)->card_no;
    }
    std::cout << fmt::format(
                     "\nmemberd is ready. Try:\n"
                     "  curl -s -H \"Authorization: Bearer $(cat {token})\" "
                     "http://{host}:{port}/v1/health\n"
                     "  curl -s -H \"Authorization: Bearer $(cat {token})\" "
                     "-d '{{\"code\":\"{card}\"}}' http://{host}:{port}/v1/members/lookup\n"
                     "Stop with Ctrl-C (or SIGTERM).\n\n",
                     fmt::arg("token", config->token_path()), fmt::arg("host", config->api.listen),
                     fmt::arg("port", server.port()), fmt::arg("card", example))
              << std::flush;
  }

  // systemd (Type=notify): ready now; a watchdog ping from the loop proves it is not stuck.
  pma::daemon::notify_ready(fmt::format("serving {} members on {}:{}", members.count().value_or(0),
                                        config->api.listen, server.port()));
  boost::asio::steady_timer watchdog(io);
  std::function<void()> ping;
  if (auto interval = pma::daemon::watchdog_interval()) {
    ping = [&, period = *interval] {
      pma::daemon::notify_watchdog();
      watchdog.expires_after(period);
      watchdog.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) ping();
      });
    };
    ping();
  }

  // Housekeeping once a second, between requests: WAL checkpoints off the commit path (a WAL
  // of 256+ frames is copied back, PASSIVE: never waiting for readers such as memberctl
  // backup). HQ's rule sets need no timer: the sync client hands each one to SyncLink.
  boost::asio::steady_timer checkpoints(io);
  std::function<void()> checkpoint = [&] {
    if (auto done = pma::store::checkpoint_if_needed(**db, 256); !done) {
      log->warn("WAL checkpoint: {}", done.error().message);
    }
    checkpoints.expires_after(std::chrono::seconds(1));
    checkpoints.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) checkpoint();
    });
  };
  checkpoint();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  boost::asio::steady_timer shutdown_guard(io);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    log->info("{} received: finishing requests in flight",
              signal == SIGTERM ? "SIGTERM" : "SIGINT");
    // Bounded: a client that never reads its response must not hold the shutdown hostage.
    shutdown_guard.expires_after(std::chrono::seconds(10));
    shutdown_guard.async_wait([&](const boost::system::error_code& timer_ec) {
      if (timer_ec) return;
      log->warn("shutdown: {} connections still open after 10 s; closing them",
                server.open_connections());
      io.stop();
    });
    pma::daemon::notify_stopping();
    watchdog.cancel();
    checkpoints.cancel();
    scanners.stop();
    printers.stop();
    sync_link.stop();
    server.stop([&] { shutdown_guard.cancel(); });
  });

  io.run();
  db->reset();
  log->info("memberd stopped cleanly ({} requests served)", server.requests_served());
  return 0;
}

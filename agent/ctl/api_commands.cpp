// memberctl commands that talk to memberd over its local API.
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "agent/config/state_files.h"
#include "agent/ctl/commands.h"
#include "agent/ctl/progress_bar.h"
#include "pma/v1/api.pb.h"

namespace pma::ctl {

int cmd_status(const Config& config, bool json) {
  auto client = api_client(config);
  if (!client) return report_error(client.error());
  auto reply = client->request("GET", "/v1/health");
  if (!reply) {
    if (json) {
      std::cout << fmt::format("{{\"status\":\"unreachable\",\"message\":\"{}\"}}\n",
                               reply.error().message);
    } else {
      std::cout << paint("memberd is not running or not reachable", "31") << "\n";
      row("api", fmt::format("{}:{}", config.api.listen, config.api.port));
      row("error", reply.error().message);
      row("hint", "systemctl status memberd; journalctl -u memberd -n 50");
    }
    return 1;
  }
  if (json) {
    std::cout << reply->body << "\n";
    return reply->status == 200 ? 0 : 1;
  }
  pma::v1::HealthResponse health;
  if (auto ok = decode(*reply, health); !ok) return report_error(ok.error());
  std::cout << "memberd " << health.version() << "  "
            << paint(health.status(), health.status() == "ok" ? "32" : "33") << "\n";
  row("store", health.store_id());
  row("terminal", health.terminal_id());
  row("members cached", std::to_string(health.members()));
  row("schema", std::to_string(health.schema_version()));
  row("uptime", fmt::format("{}s", health.uptime_seconds()));
  row("api", fmt::format("http://{}:{}", config.api.listen, config.api.port));
  const auto& sync = health.sync();
  if (!sync.enabled()) {
    row("HQ sync", "off (standalone till)");
  } else {
    row("HQ", sync.hq_reachable() ? paint("reachable", "32") : paint("unreachable", "31"));
    row("last sync", sync.last_success().empty() ? "never" : sync.last_success());
    if (!sync.last_error().empty()) row("last error", sync.last_error());
    std::uint64_t asked =
        sync.reservations_granted() + sync.reservations_refused() + sync.reservations_unanswered();
    if (asked > 0) {
      row("HQ holds", fmt::format("{} granted, {} refused, {} unanswered (offline rules)",
                                  sync.reservations_granted(), sync.reservations_refused(),
                                  sync.reservations_unanswered()));
    }
  }
  row("outbox",
      fmt::format("{} deltas waiting{}", sync.outbox_depth(),
                  sync.outbox_depth() == 0
                      ? ""
                      : fmt::format(", oldest {}s old", sync.oldest_unsent_age_seconds())));
  if (health.devices().empty()) row("devices", "none configured");
  for (const auto& d : health.devices()) {
    std::string state = d.state() == "ready" ? paint(d.state(), "32") : paint(d.state(), "31");
    row(d.kind() + " " + d.name(), d.reason().empty() ? state : state + " (" + d.reason() + ")");
  }
  return 0;
}

int cmd_lookup(const Config& config, const std::string& code, bool json) {
  auto client = api_client(config);
  if (!client) return report_error(client.error());
  pma::v1::LookupRequest request;
  request.set_code(code);
  std::string body;
  (void)google::protobuf::util::MessageToJsonString(request, &body);
  auto reply = client->request("POST", "/v1/members/lookup", body);
  if (!reply) return report_error(reply.error());
  if (json) {
    std::cout << reply->body << "\n";
    return reply->status == 200 ? 0 : 1;
  }
  pma::v1::LookupResponse response;
  if (auto ok = decode(*reply, response); !ok) return report_error(ok.error());
  const auto& m = response.member();
  std::cout << paint(m.name().empty() ? m.member_id() : m.name(), "1") << "  ("
            << tier_name(m.tier()) << ")\n";
  row("member id", m.member_id());
  row("card", m.card_no());
  row("phone", m.phone_masked());
  row("birthday", m.birthday());
  row("points", std::to_string(m.points()));
  row("matched by", response.matched_by());
  if (m.coupons().empty()) row("coupons", "none");
  for (const auto& c : m.coupons()) {
    row("coupon", fmt::format("{} {} (until {})", c.code(), c.title(), c.valid_until()));
  }
  return 0;
}

int cmd_sync(const Config& config, bool members_at_hq) {
  if (members_at_hq) {
    auto local = open_local_store(config);
    if (!local) return report_error(local.error());
    auto stmt = local->db->prepare(
        "INSERT OR REPLACE INTO sync_state(key, value) VALUES('members_at_hq', '1')");
    if (!stmt) return report_error(stmt.error());
    if (auto ok = stmt->run(); !ok) return report_error(ok.error());
  }
  auto client = api_client(config);
  if (!client) return report_error(client.error());
  auto started = client->request("POST", "/v1/sync");
  if (!started) return report_error(started.error());
  pma::v1::SyncState state;
  if (started->status != 202) {
    if (auto ok = decode(*started, state); !ok) return report_error(ok.error());
  }
  ProgressBar bar("syncing");
  auto begin = std::chrono::steady_clock::now();
  for (;;) {
    auto reply = client->request("GET", "/v1/sync");
    if (!reply) return report_error(reply.error());
    state.Clear();
    if (auto ok = decode(*reply, state); !ok) return report_error(ok.error());
    if (!state.running()) break;
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - begin);
    bar.update(static_cast<std::uint64_t>(seconds.count()), 0, "s  " + state.last_run());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  bar.finish();
  std::cout << state.last_run() << "\n";
  row("outbox", fmt::format("{} deltas waiting", state.outbox_depth()));
  row("HQ", state.hq_reachable() ? "reachable" : "unreachable");
  return state.last_run().starts_with("ok") ? 0 : 1;
}

// Prints a test page on a configured printer.
int cmd_printer_test(const Config& config, const std::string& name) {
  auto client = api_client(config);
  if (!client) return report_error(client.error());
  auto reply = client->request("POST", "/v1/printers/" + name + "/test", "{}");
  if (!reply) return report_error(reply.error());
  pma::v1::ApiError ignored;
  if (reply->status != 200) {
    pma::v1::HealthResponse none;
    return report_error(decode(*reply, none).error());
  }
  std::cout << "test page queued on printer '" << name << "'; check the printer (memberctl "
            << "status shows its state)\n";
  return 0;
}

// Follows the event stream and prints each scan as it happens, until Ctrl-C.
int cmd_scanner_watch(const Config& config) {
  auto token = pma::config::read_secret(config.token_path());
  if (!token) return report_error(token.error());
  try {
    boost::asio::io_context io;
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws(io);
    std::string host = config.api.listen == "localhost" ? "127.0.0.1" : config.api.listen;
    boost::beast::get_lowest_layer(ws).connect(
        {boost::asio::ip::make_address(host), static_cast<unsigned short>(config.api.port)});
    ws.set_option(boost::beast::websocket::stream_base::decorator(
        [&](boost::beast::websocket::request_type& req) {
          req.set(boost::beast::http::field::authorization, "Bearer " + *token);
        }));
    ws.handshake(host, "/v1/events");
    std::cout << "watching scans (Ctrl-C to stop)\n";
    for (;;) {
      boost::beast::flat_buffer buffer;
      ws.read(buffer);
      pma::v1::Event event;
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = true;
      if (!google::protobuf::util::JsonStringToMessage(
               boost::beast::buffers_to_string(buffer.data()), &event, options)
               .ok()) {
        continue;
      }
      if (event.has_scan()) {
        const auto& scan = event.scan();
        std::string who = scan.has_member()
                              ? fmt::format("{} {} ({}, {} points)", scan.member().member_id(),
                                            scan.member().name(), tier_name(scan.member().tier()),
                                            scan.member().points())
                              : scan.coupon_code();
        std::cout << fmt::format("{} #{} {} {} {}\n", event.at(), event.seq(),
                                 scan.device().empty() ? "api" : scan.device(), scan.kind(),
                                 scan.accepted()
                                     ? paint(who, "32")
                                     : paint(scan.reason_code() + ": " + scan.reason(), "31"));
      } else if (event.has_device()) {
        std::cout << fmt::format("{} #{} device {} {} {}\n", event.at(), event.seq(),
                                 event.device().name(), event.device().state(),
                                 event.device().reason());
      }
      std::cout << std::flush;
    }
  } catch (const std::exception& e) {
    return report_error({"api_unreachable", std::string("event stream: ") + e.what()});
  }
}

// Writes an HQ (or app) Ed25519 key pair: <prefix>.key.pem (0600) and <prefix>.pub.pem.
}  // namespace pma::ctl

// memberctl: the local command line for store IT: status, lookup, import, demo data.
// Talks to memberd over its local API, or to the database file directly for bulk work.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "admin/demo_members.h"
#include "admin/member_import.h"
#include "api/http_client.h"
#include "config/state_files.h"
#include "codes/crypto.h"
#include "codes/member_qr.h"
#include "ctl/backup_commands.h"
#include "ctl/progress_bar.h"
#include "pma/v1/api.pb.h"
#include "store/member_store.h"

namespace {

using pma::config::Config;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool color() { return isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

std::string paint(std::string_view text, std::string_view code) {
  if (!color()) return std::string(text);
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

int report_error(const pma::Error& e) {
  std::cerr << "memberctl: " << e.message << " [" << e.code << "]\n";
  return 1;
}

pma::Result<pma::api::HttpClient> api_client(const Config& config) {
  auto token = pma::config::read_secret(config.token_path());
  if (!token) {
    return pma::fail(token.error().code,
                     token.error().message +
                         " (run as root or as a member of the memberd-pos group, or pass "
                         "--state-dir / --config)");
  }
  std::string host = config.api.listen == "localhost" ? "127.0.0.1" : config.api.listen;
  return pma::api::HttpClient(host, static_cast<std::uint16_t>(config.api.port), *token);
}

// Parses an API reply into `message`, or turns an error body into an Error.
pma::Status decode(const pma::api::HttpReply& reply, google::protobuf::Message& message) {
  if (reply.status != 200) {
    pma::v1::ApiError error;
    if (google::protobuf::util::JsonStringToMessage(reply.body, &error).ok()) {
      return pma::fail(error.code(), error.message());
    }
    return pma::fail("api_error", fmt::format("HTTP {}: {}", reply.status, reply.body));
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;  // a newer memberd may say more
  if (!google::protobuf::util::JsonStringToMessage(reply.body, &message, options).ok()) {
    return pma::fail("api_error", "memberd sent a reply memberctl cannot read");
  }
  return {};
}

std::string tier_name(pma::v1::Tier tier) {
  switch (tier) {
    case pma::v1::TIER_NORMAL: return "normal";
    case pma::v1::TIER_SILVER: return "silver";
    case pma::v1::TIER_GOLD: return "gold";
    default: return "unknown";
  }
}

void row(std::string_view key, std::string_view value) {
  std::cout << fmt::format("  {:<16} {}\n", key, value);
}

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
  }
  row("outbox", fmt::format("{} deltas waiting{}", sync.outbox_depth(),
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

pma::Result<std::unique_ptr<pma::store::Database>> open_db(const Config& config) {
  pma::store::OpenOptions options;
  options.synchronous = config.database.synchronous;
  options.busy_timeout_ms = static_cast<int>(config.database.busy_timeout_ms);
  if (auto ok = pma::config::ensure_state_dir(config.state.dir); !ok) {
    return std::unexpected(ok.error());
  }
  return pma::store::open_store(config.database_path(), options);
}

pma::Result<std::string> phone_key(const Config& config) {
  return pma::config::read_or_create_secret(config.phone_hash_key_path(), 0600);
}

int cmd_import(const Config& config, const std::string& file, const std::string& format,
               std::size_t show_errors) {
  auto db = open_db(config);
  if (!db) return report_error(db.error());
  auto key = phone_key(config);
  if (!key) return report_error(key.error());
  pma::store::PhoneHasher hasher(*key);
  pma::store::MemberStore members(**db, hasher);
  pma::ctl::ProgressBar bar("importing");
  pma::admin::ImportOptions options;
  options.format = format == "csv"     ? pma::admin::ImportFormat::kCsv
                   : format == "jsonl" ? pma::admin::ImportFormat::kJsonLines
                                       : pma::admin::ImportFormat::kAuto;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    bar.update(done, total, "bytes");
  };
  auto report = pma::admin::import_members(file, **db, members, unix_now(), options);
  bar.finish();
  if (!report) return report_error(report.error());
  std::cout << fmt::format("imported {} members, rejected {} rows\n", report->imported,
                           report->rejected);
  std::size_t shown = 0;
  for (const auto& e : report->errors) {
    if (shown++ >= show_errors) {
      std::cout << fmt::format("  ... and {} more (use --show-errors N)\n",
                               report->rejected - static_cast<std::int64_t>(show_errors));
      break;
    }
    std::cout << fmt::format("  line {}: {}\n", e.line, e.reason);
  }
  return report->rejected == 0 ? 0 : 3;
}

int cmd_demo_seed(const Config& config, std::int64_t count, std::int64_t start, std::uint64_t seed,
                  const std::string& csv) {
  pma::admin::DemoMemberGenerator generator(seed);
  if (!csv.empty()) {
    std::ofstream out(csv);
    if (!out) return report_error({"demo_seed", "cannot write " + csv});
    out << "member_id,card_no,phone,name,birthday,tier,points\n";
    static const char* kTiers[] = {"", "normal", "silver", "gold"};
    for (std::int64_t i = 0; i < count; ++i) {
      auto m = generator.make(start + i);
      out << fmt::format("{},{},{},{},{},{},{}\n", m.member_id, m.card_no, m.phone, m.name,
                         m.birthday, kTiers[m.tier], m.points);
    }
    std::cout << fmt::format("wrote {} demo members to {}\n", count, csv);
    return 0;
  }
  auto db = open_db(config);
  if (!db) return report_error(db.error());
  auto key = phone_key(config);
  if (!key) return report_error(key.error());
  pma::store::PhoneHasher hasher(*key);
  pma::store::MemberStore members(**db, hasher);
  pma::ctl::ProgressBar bar("seeding");
  auto ok = pma::admin::seed_demo_members(
      **db, members, start, count, seed, unix_now(),
      [&](std::int64_t done, std::int64_t total) {
        bar.update(static_cast<std::uint64_t>(done), static_cast<std::uint64_t>(total), "members");
      });
  bar.finish();
  if (!ok) return report_error(ok.error());
  std::cout << fmt::format("seeded {} demo members into {} ({} in the cache)\n", count,
                           config.database_path(), members.count().value_or(-1));
  return 0;
}

// Starts a sync through memberd and follows it until it ends.
int cmd_sync(const Config& config) {
  auto client = api_client(config);
  if (!client) return report_error(client.error());
  auto started = client->request("POST", "/v1/sync");
  if (!started) return report_error(started.error());
  pma::v1::SyncState state;
  if (started->status != 202) {
    if (auto ok = decode(*started, state); !ok) return report_error(ok.error());
  }
  pma::ctl::ProgressBar bar("syncing");
  auto begin = std::chrono::steady_clock::now();
  for (;;) {
    auto reply = client->request("GET", "/v1/sync");
    if (!reply) return report_error(reply.error());
    state.Clear();
    if (auto ok = decode(*reply, state); !ok) return report_error(ok.error());
    if (!state.running()) break;
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::steady_clock::now() - begin);
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
                                 scan.accepted() ? paint(who, "32")
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
int cmd_qr_keygen(const std::string& prefix) {
  auto key = pma::codes::Ed25519PrivateKey::generate();
  if (!key) return report_error(key.error());
  if (auto ok = key->write_pem_file(prefix + ".key.pem"); !ok) return report_error(ok.error());
  if (auto ok = key->public_key().write_pem_file(prefix + ".pub.pem"); !ok) {
    return report_error(ok.error());
  }
  std::cout << fmt::format("wrote {0}.key.pem (keep secret) and {0}.pub.pem (for the tills' "
                           "[codes.hq_keys])\n",
                           prefix);
  return 0;
}

// Mints what a member app would show now: credential signed by HQ + current step signed by a
// fresh app key. For demos and tests only; real credentials come from HQ.
int cmd_qr_mint(const std::string& hq_key_file, std::uint32_t key_id, const std::string& member,
                std::int64_t valid_seconds) {
  auto hq = pma::codes::Ed25519PrivateKey::load_pem_file(hq_key_file);
  if (!hq) return report_error(hq.error());
  auto app = pma::codes::Ed25519PrivateKey::generate();
  if (!app) return report_error(app.error());
  std::int64_t now = unix_now();
  auto credential =
      pma::codes::issue_credential(*hq, key_id, member, app->public_key(), now + valid_seconds);
  if (!credential) return report_error(credential.error());
  auto qr = pma::codes::make_member_qr(*credential, *app, pma::codes::time_step_at(now));
  if (!qr) return report_error(qr.error());
  std::cout << *qr << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"memberctl: look after the POS member agent (memberd) on this till."};
  app.require_subcommand(1);
  std::string config_path, state_dir;
  app.add_option("-c,--config", config_path,
                 "memberd's TOML config (default: /etc/memberd/memberd.toml if present)");
  app.add_option("-s,--state-dir", state_dir, "memberd's state folder (overrides state.dir)");

  bool json = false;
  auto* status = app.add_subcommand("status", "show whether memberd is up, its cache and devices");
  status->add_flag("--json", json, "print the raw JSON for scripts");

  std::string code;
  auto* lookup = app.add_subcommand("lookup", "look a member up by card number, phone or code");
  lookup->add_option("CODE", code, "card number, phone number or scanned code")->required();
  lookup->add_flag("--json", json, "print the raw JSON");

  std::string file, format = "auto";
  std::size_t show_errors = 20;
  auto* import = app.add_subcommand(
      "import", "import members from CSV (header: member_id,card_no,phone,name,birthday,tier,"
                "points) or JSON lines; bad rows are reported with line numbers");
  import->add_option("FILE", file, "the file to import")->required()->check(CLI::ExistingFile);
  import->add_option("--format", format, "csv, jsonl or auto (by extension)")
      ->check(CLI::IsMember({"auto", "csv", "jsonl"}));
  import->add_option("--show-errors", show_errors, "how many bad rows to list (default 20)");

  std::int64_t count = 1000, start = 0;
  std::uint64_t seed = 2026;
  std::string csv;
  auto* demo = app.add_subcommand("demo-seed", "create realistic synthetic members (demo, benchmarks)");
  demo->add_option("--members", count, "how many members (default 1000)")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100000000}));
  demo->add_option("--start", start, "index of the first member (default 0)");
  demo->add_option("--seed", seed, "generator seed (default 2026)");
  demo->add_option("--csv", csv, "write a CSV import file instead of the database");

  std::string backup_file;
  bool overwrite = false, force = false;
  auto* backup = app.add_subcommand(
      "backup", "copy the agent's database to FILE while memberd keeps serving");
  backup->add_option("FILE", backup_file, "the backup file to write")->required();
  backup->add_flag("--overwrite", overwrite, "replace FILE if it exists");
  auto* restore = app.add_subcommand(
      "restore", "replace the database with a backup (stop memberd first); refuses another "
                 "store's backup unless --force");
  restore->add_option("FILE", backup_file, "the backup file")->required()->check(CLI::ExistingFile);
  restore->add_flag("--force", force, "restore even if the backup is from another store");

  auto* sync_cmd = app.add_subcommand("sync", "sync with HQ now and show the outcome");
  std::string printer_name = "receipt";
  auto* printer = app.add_subcommand("printer", "receipt printers");
  printer->require_subcommand(1);
  auto* printer_test = printer->add_subcommand("test", "print a test page");
  printer_test->add_option("NAME", printer_name, "the [[printer]] name (default receipt)");
  auto* scanner = app.add_subcommand("scanner", "barcode scanners");
  scanner->require_subcommand(1);
  auto* watch = scanner->add_subcommand("watch", "show scans live as the POS receives them");

  auto* qr = app.add_subcommand("qr", "dynamic member QR codes: test keys and codes for demos");
  qr->require_subcommand(1);
  std::string prefix, hq_key, member;
  std::uint32_t key_id = 1;
  std::int64_t valid_seconds = 86400;
  auto* keygen = qr->add_subcommand("keygen", "write an Ed25519 key pair PREFIX.key.pem/.pub.pem");
  keygen->add_option("PREFIX", prefix, "file name prefix, e.g. /etc/memberd/hq-1")->required();
  auto* mint = qr->add_subcommand("mint", "print a member QR text valid for the next 30-60 s");
  mint->add_option("--hq-key", hq_key, "HQ private key PEM (test key)")->required();
  mint->add_option("--key-id", key_id, "HQ key id the tills know it by (default 1)");
  mint->add_option("--member", member, "member id")->required();
  mint->add_option("--valid-seconds", valid_seconds, "credential lifetime (default 86400)");

  app.footer(
      "Examples:\n"
      "  memberctl status\n"
      "  memberctl lookup 13812345678\n"
      "  memberctl import members.csv\n"
      "  memberctl --state-dir ./state demo-seed --members 100000\n"
      "  memberctl qr keygen ./hq-1 && memberctl qr mint --hq-key ./hq-1.key.pem --member M00000001\n");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  if (*keygen) return cmd_qr_keygen(prefix);
  if (*mint) return cmd_qr_mint(hq_key, key_id, member, valid_seconds);
  auto config = pma::config::load_effective_config(config_path, state_dir);
  if (!config) return report_error(config.error());
  if (*status) return cmd_status(*config, json);
  if (*lookup) return cmd_lookup(*config, code, json);
  if (*import) return cmd_import(*config, file, format, show_errors);
  if (*demo) return cmd_demo_seed(*config, count, start, seed, csv);
  if (*sync_cmd) return cmd_sync(*config);
  if (*backup) return pma::ctl::cmd_backup(*config, backup_file, overwrite);
  if (*restore) return pma::ctl::cmd_restore(*config, backup_file, force);
  if (*printer_test) return cmd_printer_test(*config, printer_name);
  if (*watch) return cmd_scanner_watch(*config);
  return 2;
}

// memberhq: the HQ sync endpoint and its set-up commands. main owns the io_context and the
// sink and passes them into the Server; no globals.
#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>

#include "pma/clock.h"
#include "pma/v1/rules.pb.h"
#include "sync/hq/admin_endpoints.h"
#include "sync/hq/admin_server.h"
#include "sync/hq/ca.h"
#include "sync/hq/hq_config.h"
#include "sync/hq/member_import.h"
#include "sync/hq/pg_open.h"
#include "sync/hq/programme_commands.h"
#include "sync/hq/quality_commands.h"
#include "sync/hq/server.h"
#include "sync/hq/sqlite_operations_reads.h"
#include "sync/hq/sqlite_sink.h"
#include "sync/hq/stores_report.h"

namespace {

int report(const pma::Error& error) {
  spdlog::error("{}: {}", error.code, error.message);
  return 1;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string utc_time(std::int64_t ms) {
  if (ms <= 0) return "never";
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(ms / 1000)));
}

int erase_command(pma::hq::Administration& sink, const std::string& member_id) {
  auto done = sink.erase_member(member_id);
  if (!done) {
    report(done.error());
    return done.error().code == "member_not_found" ? 2 : 1;
  }
  if (done->already_erased) {
    fmt::print("member {} was already erased (version {}); nothing changed\n", done->member_id,
               done->version);
    return 0;
  }
  fmt::print(
      "erased member {}: card number, phone hash, masked phone, name and birthday wiped, {} "
      "issued coupon(s) revoked, {} reservation hold(s) and {} coupon hold(s) released, "
      "12-month spend dropped; version {} takes the erasure to every till at its next sync\n",
      done->member_id, done->coupons_revoked, done->holds_released, done->coupon_holds_released,
      done->version);
  return 0;
}

int revoke_command(pma::hq::Administration& sink, const pma::hq::TerminalIdentity& id, bool revoked,
                   const pma::Clock& clock) {
  auto known = sink.set_terminal_revoked(id, revoked, clock.now_ms());
  if (!known) return report(known.error());
  if (revoked) {
    fmt::print("terminal {}/{} revoked: HQ refuses its sessions with terminal_revoked\n",
               id.store_id, id.terminal_id);
  } else {
    fmt::print("terminal {}/{} reinstated: HQ serves it again\n", id.store_id, id.terminal_id);
  }
  if (!*known)
    fmt::print("note: HQ has not seen terminal {}/{} yet\n", id.store_id, id.terminal_id);
  return 0;
}

int list_terminals_command(pma::hq::Administration& sink) {
  auto list = sink.terminals();
  if (!list) return report(list.error());
  fmt::print("STORE\tTERMINAL\tHIGHEST_SEQ\tLAST_SEEN\tSTATUS\n");
  for (const auto& t : *list) {
    fmt::print("{}\t{}\t{}\t{}\t{}\n", t.store_id, t.terminal_id, t.highest_seq,
               utc_time(t.last_seen_ms),
               t.revoked ? fmt::format("revoked since {}", utc_time(t.changed_at_ms)) : "active");
  }
  fmt::print("{} terminal(s)\n", list->size());
  return 0;
}

int stores_command(pma::hq::Administration& sink, pma::hq::OperationsReads& reads,
                   const pma::hq::HqConfig& config, bool json, const pma::Clock& clock) {
  auto terminals = sink.terminals();
  if (!terminals) return report(terminals.error());
  auto batches = reads.last_batches();
  if (!batches) return report(batches.error());
  const std::int64_t now = clock.now_ms();
  auto rows =
      pma::hq::stores_report(*terminals, *batches, now, config.silent_after_hours * 3600 * 1000);
  fmt::print("{}", json ? pma::hq::format_stores_json(rows, now)
                        : pma::hq::format_stores_table(rows, now));
  return 0;
}

// The config file: --config FILE, else /etc/memberhq/memberhq.toml when it exists, else the
// compiled-in defaults.
constexpr const char* kDefaultConfigFile = "/etc/memberhq/memberhq.toml";

pma::Result<pma::hq::HqConfig> load_config(const std::string& config_file, bool required) {
  if (!config_file.empty()) return pma::hq::load_hq_config(config_file);
  std::error_code ec;
  if (required || std::filesystem::exists(kDefaultConfigFile, ec)) {
    return pma::hq::load_hq_config(kDefaultConfigFile);
  }
  return pma::hq::default_hq_config();
}

// Command-line flags override the config file: each is parsed into a copy of the defaults and
// copied over the loaded config only when it was given.
class FlagOverrides {
 public:
  using Copy = std::function<void(const pma::hq::HqConfig& from, pma::hq::HqConfig& to)>;
  void add(CLI::Option* option, Copy copy) { items_.emplace_back(option, std::move(copy)); }
  void apply(const pma::hq::HqConfig& flags, pma::hq::HqConfig& config) const {
    for (const auto& [option, copy] : items_) {
      if (option->count() > 0) copy(flags, config);
    }
  }

 private:
  std::vector<std::pair<CLI::Option*, Copy>> items_;
};

// The sink the [database] path names (a postgresql:// URI: the PostgreSQL sink) and the reads
// of operations over it. PostgreSQL has no OperationsReads of its own yet: its conflict count
// comes through Administration and its terminals' last-batch times are unknown (absent).
struct OpenedSink {
  std::unique_ptr<pma::hq::Sink> sink;
  std::unique_ptr<pma::hq::OperationsReads> reads;
};

class AdministrationReads final : public pma::hq::OperationsReads {
 public:
  explicit AdministrationReads(pma::hq::Administration& admin) : admin_(admin) {}
  pma::Result<std::uint64_t> conflict_count() override {
    PMA_TRY_ASSIGN(auto all, admin_.conflicts());
    return all.size();
  }
  pma::Result<std::map<TerminalKey, std::int64_t>> last_batches() override {
    return std::map<TerminalKey, std::int64_t>{};
  }

 private:
  pma::hq::Administration& admin_;
};

pma::Result<OpenedSink> open_sink(const pma::hq::HqConfig& config) {
  OpenedSink opened;
  if (pma::hq::is_postgresql_uri(config.database)) {
    PMA_TRY_ASSIGN(opened.sink, pma::hq::open_sink(config.database));
    opened.reads = std::make_unique<AdministrationReads>(*opened.sink);
    return opened;
  }
  PMA_TRY_ASSIGN(auto sqlite, pma::hq::SqliteSink::open(config.database, config.synchronous));
  opened.reads = std::make_unique<pma::hq::SqliteOperationsReads>(sqlite->database());
  opened.sink = std::move(sqlite);
  return opened;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"memberhq: HQ sync endpoint for POS Member Agent"};
  app.require_subcommand(0, 1);
  app.fallthrough();
  std::string config_file;
  app.add_option("--config", config_file,
                 "TOML config file (default /etc/memberhq/memberhq.toml when it exists); flags "
                 "override it");
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "check the config file (--config, or /etc/memberhq/memberhq.toml) and exit");
  pma::hq::HqConfig flags = pma::hq::default_hq_config();
  FlagOverrides overrides;
  // --db on every command that opens the database.
  auto add_db = [&](CLI::App* sub) {
    overrides.add(sub->add_option("--db", flags.database,
                                  "SQLite file or postgresql:// URI (default: [database] path, "
                                  "memberhq.db)"),
                  [](const auto& f, auto& c) { c.database = f.database; });
  };
  std::string ca_dir = "ca";

  auto* ca = app.add_subcommand("ca", "chain CA for terminal certificates");
  ca->require_subcommand(1);
  auto* ca_init = ca->add_subcommand("init", "create the CA and the HQ server certificate");
  std::string init_dir;
  pma::hq::CaInitOptions init_options;
  ca_init->add_option("DIR", init_dir, "directory for the CA")->required();
  ca_init->add_option("--server-name", init_options.server_names,
                      "DNS names / IPs of HQ (default localhost 127.0.0.1)");
  ca_init->add_option("--chain", init_options.chain_name, "chain name (certificate O)");
  auto* ca_issue = ca->add_subcommand("issue", "issue a terminal certificate");
  std::string store_id, terminal_id, out_dir = ".";
  ca_issue->add_option("STORE", store_id)->required();
  ca_issue->add_option("TERMINAL", terminal_id)->required();
  ca_issue->add_option("--dir", ca_dir, "CA directory")->capture_default_str();
  ca_issue->add_option("--out", out_dir, "output directory")->capture_default_str();

  auto* serve = app.add_subcommand("serve", "run the sync endpoint");
  add_db(serve);
  auto& sf = flags.server;
  std::string serve_ca_dir;
  overrides.add(serve->add_option("--ca-dir", serve_ca_dir,
                                  "CA directory (ca.crt, server.crt, server.key); default: "
                                  "[tls] ca, cert, key"),
                [&serve_ca_dir](const auto&, auto& c) {
                  c.server.tls = {serve_ca_dir + "/ca.crt", serve_ca_dir + "/server.crt",
                                  serve_ca_dir + "/server.key"};
                });
  overrides.add(serve->add_option("--listen", sf.listen_address)->capture_default_str(),
                [](const auto& f, auto& c) { c.server.listen_address = f.server.listen_address; });
  overrides.add(serve->add_option("--port", sf.port)->capture_default_str(),
                [](const auto& f, auto& c) { c.server.port = f.server.port; });
  overrides.add(serve->add_option("--max-sessions", sf.max_sessions)->capture_default_str(),
                [](const auto& f, auto& c) { c.server.max_sessions = f.server.max_sessions; });
  overrides.add(serve->add_option("--retry-after-ms", sf.retry_after_ms)->capture_default_str(),
                [](const auto& f, auto& c) { c.server.retry_after_ms = f.server.retry_after_ms; });
  overrides.add(serve
                    ->add_option("--max-sessions-per-store", sf.max_sessions_per_store,
                                 "one store's share of --max-sessions; its next session gets Busy")
                    ->capture_default_str()
                    ->check(CLI::PositiveNumber),
                [](const auto& f, auto& c) {
                  c.server.max_sessions_per_store = f.server.max_sessions_per_store;
                });
  overrides.add(serve
                    ->add_option("--max-sessions-per-terminal", sf.max_sessions_per_terminal,
                                 "connections of one terminal (sync plus reservations); a newer "
                                 "one closes its oldest")
                    ->capture_default_str()
                    ->check(CLI::PositiveNumber),
                [](const auto& f, auto& c) {
                  c.server.max_sessions_per_terminal = f.server.max_sessions_per_terminal;
                });
  overrides.add(serve
                    ->add_option("--max-handshakes", sf.max_handshakes,
                                 "TCP connections still in their TLS handshake; more are closed "
                                 "at once")
                    ->capture_default_str()
                    ->check(CLI::PositiveNumber),
                [](const auto& f, auto& c) { c.server.max_handshakes = f.server.max_handshakes; });
  std::int64_t handshake_ms = sf.handshake_timeout.count();
  overrides.add(serve
                    ->add_option("--handshake-timeout-ms", handshake_ms,
                                 "how long a connection may take to complete its TLS handshake")
                    ->capture_default_str()
                    ->check(CLI::Range(std::int64_t{100}, std::int64_t{600} * 1000)),
                [&handshake_ms](const auto&, auto& c) {
                  c.server.handshake_timeout = std::chrono::milliseconds(handshake_ms);
                });
  std::int64_t hold_ms = sf.reservation_hold.count();
  overrides.add(serve
                    ->add_option("--reservation-hold-ms", hold_ms,
                                 "how long an online-first hold on coupons and points lasts when "
                                 "the checkout does not arrive")
                    ->capture_default_str()
                    ->check(CLI::Range(std::int64_t{1000}, std::int64_t{7} * 24 * 3600 * 1000)),
                [&hold_ms](const auto&, auto& c) {
                  c.server.reservation_hold = std::chrono::milliseconds(hold_ms);
                });
  std::int64_t flush_ms = sf.last_seen_flush.count();
  overrides.add(serve
                    ->add_option("--last-seen-flush-ms", flush_ms,
                                 "how often the terminals' last-seen times are written to the "
                                 "database (what `memberhq stores` shows)")
                    ->capture_default_str()
                    ->check(CLI::Range(std::int64_t{100}, std::int64_t{3600} * 1000)),
                [&flush_ms](const auto&, auto& c) {
                  c.server.last_seen_flush = std::chrono::milliseconds(flush_ms);
                });
  overrides.add(serve->add_option("--admin-listen", flags.admin.listen,
                                  "address of the /metrics and /health listener (default: "
                                  "[admin] listen, 127.0.0.1)"),
                [](const auto& f, auto& c) { c.admin.listen = f.admin.listen; });
  overrides.add(serve->add_option("--admin-port", flags.admin.port,
                                  "port of the /metrics and /health listener; 0 picks one "
                                  "(default: [admin] port, 9444)"),
                [](const auto& f, auto& c) { c.admin.port = f.admin.port; });
  bool no_admin = false;
  overrides.add(serve->add_flag("--no-admin", no_admin, "run without the admin listener"),
                [](const auto&, auto& c) { c.admin.enabled = false; });
  overrides.add(serve->add_option("--log-level", flags.log_level,
                                  "trace, debug, info, warn, error or off (default: [log] level)"),
                [](const auto& f, auto& c) { c.log_level = f.log_level; });

  auto* conflicts = app.add_subcommand("conflicts", "list recorded conflicts");
  add_db(conflicts);

  auto* import = app.add_subcommand("import", "import a member base (CSV or JSON lines)");
  std::string import_file, format = "csv", key_file;
  import->add_option("FILE", import_file)->required()->check(CLI::ExistingFile);
  add_db(import);
  import->add_option("--format", format)->check(CLI::IsMember({"csv", "jsonl"}));
  import->add_option("--phone-key-file", key_file, "the chain's phone-hash key")
      ->required()
      ->check(CLI::ExistingFile);

  auto* rules = app.add_subcommand("rules", "publish a rule set (serialised pma.v1.RuleSet)");
  std::int64_t rule_version = 0;
  std::string rule_file;
  rules->add_option("VERSION", rule_version)->required();
  rules->add_option("FILE", rule_file)->required()->check(CLI::ExistingFile);
  add_db(rules);

  auto* erase = app.add_subcommand(
      "erase", "erase a member: PII wiped, coupons revoked; tills drop it at their next sync");
  std::string erase_id;
  erase->add_option("MEMBER_ID", erase_id, "HQ member id (or a till's provisional id)")->required();
  add_db(erase);

  auto* terminal = app.add_subcommand("terminal", "revoke, reinstate or list terminals");
  terminal->require_subcommand(1);
  auto* revoke = terminal->add_subcommand(
      "revoke", "refuse the terminal's sessions (terminal_revoked) from its next session on");
  auto* reinstate = terminal->add_subcommand("reinstate", "serve a revoked terminal again");
  for (auto* sub : {revoke, reinstate}) {
    sub->add_option("STORE", store_id)->required();
    sub->add_option("TERMINAL", terminal_id)->required();
    add_db(sub);
  }
  auto* list = terminal->add_subcommand(
      "list",
      "every terminal: store, terminal, highest seq, last seen (UTC; a running server writes it "
      "every --last-seen-flush-ms, 10 s by default), revoked or not");
  add_db(list);
  auto* stores = app.add_subcommand(
      "stores",
      "every terminal with its lag (highest seq, age of the last batch), last seen and state "
      "(active, revoked, silent for more than [stores] silent_after_hours)");
  add_db(stores);
  bool stores_json = false;
  stores->add_flag("--json", stores_json, "one JSON document instead of a table");
  overrides.add(stores
                    ->add_option("--silent-after-hours", flags.silent_after_hours,
                                 "default: [stores] silent_after_hours, 24")
                    ->check(CLI::Range(std::int64_t{1}, std::int64_t{24} * 366)),
                [](const auto& f, auto& c) { c.silent_after_hours = f.silent_after_hours; });

  pma::hq::QualityCommands quality(app);  // consent, merge, report quality
  // The member programme's commands (coupon, tag, segments, report segments): their own --db.
  std::string db_path = "memberhq.db";
  auto programme = pma::hq::add_programme_commands(app, db_path);

  auto* migrate = app.add_subcommand(
      "migrate", "copy a SQLite HQ into an empty PostgreSQL database, verified by counts and sums");
  std::string migrate_from, migrate_to;
  migrate->add_option("--from", migrate_from, "the SQLite HQ file")
      ->required()
      ->check(CLI::ExistingFile);
  migrate->add_option("--to", migrate_to, "postgresql://user@host:port/database")->required();

  CLI11_PARSE(app, argc, argv);

  auto loaded = load_config(config_file, check_config);
  if (!loaded) return report(loaded.error());
  pma::hq::HqConfig config = std::move(*loaded);
  overrides.apply(flags, config);
  if (auto ok = config.validate(); !ok) return report(ok.error());
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (check_config) {
    fmt::print("{}: configuration is valid\n",
               config_file.empty() ? kDefaultConfigFile : config_file.c_str());
    return 0;
  }
  if (app.get_subcommands().empty()) {
    fmt::print(stderr, "{}", app.help());
    return 1;
  }

  if (migrate->parsed()) {
    auto figures = pma::hq::migrate_sqlite_to_pg(migrate_from, migrate_to);
    if (!figures) return report(figures.error());
    fmt::print("CHECK\tSQLITE\tPOSTGRESQL\n");
    for (const auto& f : *figures) fmt::print("{}\t{}\t{}\n", f.what, f.source, f.copy);
    fmt::print("copied {} into PostgreSQL: every count and sum matches\n", migrate_from);
    return 0;
  }

  if (ca_init->parsed()) {
    if (auto ok = pma::hq::init_ca(init_dir, init_options); !ok) return report(ok.error());
    spdlog::info("CA and server certificate written to {}", init_dir);
    return 0;
  }
  if (ca_issue->parsed()) {
    auto issued = pma::hq::issue_terminal_cert(ca_dir, store_id, terminal_id, out_dir);
    if (!issued) return report(issued.error());
    spdlog::info("issued {} and {}", issued->cert_file, issued->key_file);
    return 0;
  }
  // The one wall clock memberhq reads (terminal revocations, the server's stamps and holds).
  const pma::SystemClock wall_clock;
  if (auto done = quality.run(wall_clock)) return *done;
  if (pma::hq::programme_command_parsed(*programme)) {
    // The member programme has a SQLite implementation only so far.
    if (pma::hq::is_postgresql_uri(db_path)) {
      return report(pma::Error{"sink_unsupported",
                               "coupon, tag, segments and report segments run on a SQLite HQ "
                               "only in this release; --db names a PostgreSQL database"});
    }
    auto sqlite = pma::hq::SqliteSink::open(db_path);
    if (!sqlite) return report(sqlite.error());
    return pma::hq::run_programme_command(*programme, (*sqlite)->programme(), wall_clock);
  }
  auto opened = open_sink(config);
  if (!opened) return report(opened.error());
  pma::hq::Sink& sink = *opened->sink;
  pma::hq::OperationsReads& reads = *opened->reads;
  if (erase->parsed()) return erase_command(sink, erase_id);
  if (revoke->parsed() || reinstate->parsed()) {
    return revoke_command(sink, {store_id, terminal_id}, revoke->parsed(), wall_clock);
  }
  if (list->parsed()) return list_terminals_command(sink);
  if (stores->parsed()) return stores_command(sink, reads, config, stores_json, wall_clock);
  if (conflicts->parsed()) {
    auto list = sink.conflicts();
    if (!list) return report(list.error());
    for (const auto& c : *list) {
      fmt::print("{}\t{}\t{}/{} seq {}\tmember {}\tcoupon {}\t{}\n", c.id, c.kind, c.store_id,
                 c.terminal_id, c.seq, c.member_id, c.coupon_code, c.detail);
    }
    fmt::print("{} conflict(s)\n", list->size());
    return 0;
  }
  if (import->parsed()) {
    std::string key = read_file(key_file);
    while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
    auto parsed = pma::hq::parse_member_base(read_file(import_file), format, key);
    if (parsed.file_error) return report(*parsed.file_error);
    for (const auto& e : parsed.errors) spdlog::warn("line {}: {}", e.line, e.message);
    auto written = sink.import_members(parsed.members);
    if (!written) return report(written.error());
    fmt::print("imported {} member(s), {} bad row(s)\n", *written, parsed.errors.size());
    return parsed.errors.empty() ? 0 : 2;
  }
  if (rules->parsed()) {
    std::string bytes = read_file(rule_file);
    pma::v1::RuleSet parsed;
    if (!parsed.ParseFromString(bytes)) {
      return report(
          {"rule_set_garbled", fmt::format("{} is not a serialised pma.v1.RuleSet", rule_file)});
    }
    if (auto ok = sink.put_rule_set(rule_version, bytes); !ok) {
      return report(ok.error());
    }
    return 0;
  }
  boost::asio::io_context io;
  pma::hq::Server server(io, sink, config.server, wall_clock);
  auto port = server.start();
  if (!port) return report(port.error());
  spdlog::info("memberhq listening on {}:{}", config.server.listen_address, *port);
  std::optional<pma::hq::AdminServer> admin;
  if (config.admin.enabled) {
    admin.emplace(io, config.admin.listen, config.admin.port,
                  pma::hq::admin_endpoints(server, sink, reads, wall_clock));
    auto admin_port = admin->start();
    if (!admin_port) return report(admin_port.error());
    spdlog::info("memberhq admin (/metrics, /health) on {}:{}", config.admin.listen, *admin_port);
  }
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    spdlog::info("memberhq stopping");
    if (admin) admin->stop();
    server.stop();
    io.stop();
  });
  io.run();
  return 0;
}

// memberhq: the HQ sync endpoint and its set-up commands. main owns the io_context and the
// sink and passes them into the Server; no globals.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <fstream>
#include <sstream>

#include "hq/ca.h"
#include "hq/member_import.h"
#include "hq/server.h"
#include "hq/sqlite_sink.h"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"memberhq: HQ sync endpoint for POS Member Agent"};
  app.require_subcommand(1);
  std::string db_path = "memberhq.db";
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
  pma::hq::ServerConfig config;
  serve->add_option("--db", db_path)->capture_default_str();
  serve->add_option("--ca-dir", ca_dir, "CA directory (ca.crt, server.crt, server.key)")
      ->capture_default_str();
  serve->add_option("--listen", config.listen_address)->capture_default_str();
  serve->add_option("--port", config.port)->capture_default_str();
  serve->add_option("--max-sessions", config.max_sessions)->capture_default_str();
  serve->add_option("--retry-after-ms", config.retry_after_ms)->capture_default_str();
  std::int64_t hold_ms = config.reservation_hold.count();
  serve
      ->add_option("--reservation-hold-ms", hold_ms,
                   "how long an online-first hold on coupons and points lasts when the "
                   "checkout does not arrive")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1000}, std::int64_t{7} * 24 * 3600 * 1000));

  auto* conflicts = app.add_subcommand("conflicts", "list recorded conflicts");
  conflicts->add_option("--db", db_path)->capture_default_str();

  auto* import = app.add_subcommand("import", "import a member base (CSV or JSON lines)");
  std::string import_file, format = "csv", key_file;
  import->add_option("FILE", import_file)->required()->check(CLI::ExistingFile);
  import->add_option("--db", db_path)->capture_default_str();
  import->add_option("--format", format)->check(CLI::IsMember({"csv", "jsonl"}));
  import->add_option("--phone-key-file", key_file, "the chain's phone-hash key")
      ->required()
      ->check(CLI::ExistingFile);

  auto* rules = app.add_subcommand("rules", "publish a rule set (serialised pma.v1.RuleSet)");
  std::int64_t rule_version = 0;
  std::string rule_file;
  rules->add_option("VERSION", rule_version)->required();
  rules->add_option("FILE", rule_file)->required()->check(CLI::ExistingFile);
  rules->add_option("--db", db_path)->capture_default_str();

  CLI11_PARSE(app, argc, argv);

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
  auto sink = pma::hq::SqliteSink::open(db_path);
  if (!sink) return report(sink.error());
  if (conflicts->parsed()) {
    auto list = (*sink)->conflicts();
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
    for (const auto& e : parsed.errors) spdlog::warn("line {}: {}", e.line, e.message);
    auto written = (*sink)->import_members(parsed.members);
    if (!written) return report(written.error());
    fmt::print("imported {} member(s), {} bad row(s)\n", *written, parsed.errors.size());
    return parsed.errors.empty() ? 0 : 2;
  }
  if (rules->parsed()) {
    if (auto ok = (*sink)->put_rule_set(rule_version, read_file(rule_file)); !ok) {
      return report(ok.error());
    }
    return 0;
  }
  config.tls = {ca_dir + "/ca.crt", ca_dir + "/server.crt", ca_dir + "/server.key"};
  config.reservation_hold = std::chrono::milliseconds(hold_ms);
  boost::asio::io_context io;
  pma::hq::Server server(io, **sink, config);
  auto port = server.start();
  if (!port) return report(port.error());
  spdlog::info("memberhq listening on {}:{}", config.listen_address, *port);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code, int) {
    spdlog::info("memberhq stopping");
    server.stop();
    io.stop();
  });
  io.run();
  return 0;
}

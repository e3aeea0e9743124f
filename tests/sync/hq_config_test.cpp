// memberhq's config file: the shipped example, refusals with file:line: key, range checks, and
// the memberhq binary's --check-config and flag overrides.
#include "sync/hq/hq_config.h"

#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/hq/pg_open.h"
#include "tests/support/temp_dir.h"

using pma::hq::HqConfig;
using pma::hq::parse_hq_config;

namespace {

int run(const std::string& command) { return WEXITSTATUS(std::system(command.c_str())); }

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("The shipped memberhq example config loads and shows the compiled-in defaults",
          "[sync][hq][config]") {
  auto example = pma::hq::load_hq_config(PMA_SOURCE_DIR "/packaging/memberhq.example.toml");
  REQUIRE(example);
  const HqConfig defaults = pma::hq::default_hq_config();
  CHECK(example->server.listen_address == defaults.server.listen_address);
  CHECK(example->server.port == defaults.server.port);
  CHECK(example->server.max_sessions == defaults.server.max_sessions);
  CHECK(example->server.max_sessions_per_store == defaults.server.max_sessions_per_store);
  CHECK(example->server.max_sessions_per_terminal == defaults.server.max_sessions_per_terminal);
  CHECK(example->server.max_handshakes == defaults.server.max_handshakes);
  CHECK(example->server.handshake_timeout == defaults.server.handshake_timeout);
  CHECK(example->server.retry_after_ms == defaults.server.retry_after_ms);
  CHECK(example->server.max_frame_bytes == defaults.server.max_frame_bytes);
  CHECK(example->server.max_batch_deltas == defaults.server.max_batch_deltas);
  CHECK(example->server.max_page_members == defaults.server.max_page_members);
  CHECK(example->server.io_timeout == defaults.server.io_timeout);
  CHECK(example->server.reservation_hold == defaults.server.reservation_hold);
  CHECK(example->server.last_seen_flush == defaults.server.last_seen_flush);
  CHECK(example->server.tls.ca_file == defaults.server.tls.ca_file);
  CHECK(example->server.tls.cert_file == defaults.server.tls.cert_file);
  CHECK(example->server.tls.key_file == defaults.server.tls.key_file);
  CHECK(example->database == defaults.database);
  CHECK(example->synchronous == defaults.synchronous);
  CHECK(example->admin.enabled == defaults.admin.enabled);
  CHECK(example->admin.listen == defaults.admin.listen);
  CHECK(example->admin.port == defaults.admin.port);
  CHECK(example->admin.allow_remote == defaults.admin.allow_remote);
  CHECK(example->log_level == defaults.log_level);
  CHECK(example->silent_after_hours == defaults.silent_after_hours);
}

TEST_CASE("An unknown memberhq config key is refused with its file, line and key",
          "[sync][hq][config]") {
  auto parsed = parse_hq_config("[server]\nport = 7443\n\nlisten_port = 1\n", "hq.toml");
  REQUIRE_FALSE(parsed);
  CHECK(parsed.error().code == "config_unknown_key");
  CHECK(parsed.error().message.starts_with("hq.toml:4: server.listen_port: unknown key"));
  auto section = parse_hq_config("[metrics]\nport = 1\n", "hq.toml");
  REQUIRE_FALSE(section);
  CHECK(section.error().code == "config_unknown_key");
  CHECK(section.error().message.starts_with("hq.toml:1: metrics: unknown section"));
}

TEST_CASE("memberhq config values outside their range or of the wrong type are refused",
          "[sync][hq][config]") {
  SECTION("a port beyond 65535") {
    auto parsed = parse_hq_config("[admin]\nport = 70000\n", "hq.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == "config_bad_value");
    CHECK(parsed.error().message == "hq.toml:2: admin.port: 70000 is out of range 0..65535");
  }
  SECTION("a zero session limit") {
    auto parsed = parse_hq_config("[server]\nmax_sessions = 0\n", "hq.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.starts_with("hq.toml:2: server.max_sessions: 0 is out of range"));
  }
  SECTION("a string where a number belongs") {
    auto parsed = parse_hq_config("[server]\nlast_seen_flush_ms = \"10s\"\n", "hq.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message == "hq.toml:2: server.last_seen_flush_ms: expected an integer");
  }
  SECTION("an unknown log level, named with its line") {
    auto parsed = parse_hq_config("[log]\nlevel = \"loud\"\n", "hq.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().code == "config_invalid");
    CHECK(parsed.error().message.starts_with("hq.toml:2: log.level: 'loud'"));
  }
  SECTION("an admin listener beyond loopback without allow_remote") {
    auto parsed = parse_hq_config("[admin]\nlisten = \"0.0.0.0\"\n", "hq.toml");
    REQUIRE_FALSE(parsed);
    CHECK(parsed.error().message.starts_with("hq.toml:2: admin.listen: 0.0.0.0 is not a loopback"));
    CHECK(parse_hq_config("[admin]\nlisten = \"0.0.0.0\"\nallow_remote = true\n", "hq.toml"));
  }
}

TEST_CASE("A postgresql:// database is carried through as the database string",
          "[sync][hq][config]") {
  auto parsed =
      parse_hq_config("[database]\npath = \"postgresql://hq@db.example:5432/memberhq\"\n", "x");
  REQUIRE(parsed);
  CHECK(parsed->database == "postgresql://hq@db.example:5432/memberhq");
  CHECK(pma::hq::is_postgresql_uri(parsed->database));
  CHECK(pma::hq::is_postgresql_uri("postgres://hq@db/memberhq"));
  CHECK_FALSE(pma::hq::is_postgresql_uri("/var/lib/memberhq/memberhq.db"));
}

TEST_CASE("memberhq --check-config passes the example and refuses a bad file by line",
          "[sync][hq][config]") {
  pma::test::TempDir dir;
  const std::string out = dir.file("out.txt");
  CHECK(run(std::string(PMA_MEMBERHQ) +
            " --check-config --config " PMA_SOURCE_DIR "/packaging/memberhq.example.toml > " + out +
            " 2>&1") == 0);
  CHECK(slurp(out).find("configuration is valid") != std::string::npos);
  std::ofstream(dir.file("bad.toml")) << "[server]\nport = 7443\nmax_sesions = 10\n";
  CHECK(run(std::string(PMA_MEMBERHQ) + " --check-config --config " + dir.file("bad.toml") + " > " +
            out + " 2>&1") == 1);
  CHECK(slurp(out).find("bad.toml:3: server.max_sesions: unknown key") != std::string::npos);
}

TEST_CASE("memberhq's command-line flags override its config file", "[sync][hq][config]") {
  pma::test::TempDir dir;
  std::ofstream(dir.file("hq.toml"))
      << "[database]\npath = \"" << dir.file("from-file.db") << "\"\n";
  const std::string memberhq =
      std::string(PMA_MEMBERHQ) + " --config " + dir.file("hq.toml") + " stores";
  REQUIRE(run(memberhq + " --db " + dir.file("from-flag.db") + " > /dev/null 2>&1") == 0);
  CHECK(std::filesystem::exists(dir.file("from-flag.db")));
  CHECK_FALSE(std::filesystem::exists(dir.file("from-file.db")));
  REQUIRE(run(memberhq + " > /dev/null 2>&1") == 0);
  CHECK(std::filesystem::exists(dir.file("from-file.db")));
}

TEST_CASE("memberhq opens a postgresql:// database with the PostgreSQL sink",
          "[sync][hq][config]") {
  pma::test::TempDir dir;
  const std::string out = dir.file("out.txt");
  // Port 1 on loopback: nothing listens, so the PostgreSQL sink's connect fails, by its code.
  CHECK(run(std::string(PMA_MEMBERHQ) + " stores --db postgresql://hq@127.0.0.1:1/memberhq > " +
            out + " 2>&1") == 1);
  CHECK(slurp(out).find("pg_connect") != std::string::npos);
}

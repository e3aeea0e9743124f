#include "agent/config/config.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "tests/support/temp_dir.h"

using pma::config::load_config;
using pma::config::parse_config;

TEST_CASE("The shipped example config loads and matches the defaults", "[config]") {
  auto config = load_config(PMA_EXAMPLE_CONFIG);
  REQUIRE(config);
  pma::config::Config defaults;
  CHECK(config->store.id == defaults.store.id);
  CHECK(config->api.port == defaults.api.port);
  CHECK(config->api.listen == "127.0.0.1");
  CHECK(config->database.synchronous == "FULL");
  CHECK(config->state.dir == defaults.state.dir);
  CHECK(config->log.level == defaults.log.level);
  CHECK(config->store.timezone == "Asia/Shanghai");
  CHECK(config->store.deprecation_warning().empty());
}

TEST_CASE("An empty config is the defaults", "[config]") {
  auto config = parse_config("", "empty.toml");
  REQUIRE(config);
  CHECK(config->api.port == 8765);
}

TEST_CASE("Config values are read", "[config]") {
  auto config = parse_config(
      "[store]\nid = \"SH_042\"\nterminal = \"T3\"\n[api]\nport = 9001\n[database]\n"
      "synchronous = \"NORMAL\"\n",
      "x.toml");
  REQUIRE(config);
  CHECK(config->store.id == "SH_042");
  CHECK(config->store.terminal == "T3");
  CHECK(config->api.port == 9001);
  CHECK(config->database.synchronous == "NORMAL");
}

TEST_CASE("Config errors name the file, line and key", "[config]") {
  struct Case {
    const char* text;
    const char* code;
    const char* expected;
  };
  auto c = GENERATE(values<Case>({
      {"[api]\nprot = 8080\n", "config_unknown_key", "memberd.toml:2: api.prot: unknown key"},
      {"[apis]\nport = 1\n", "config_unknown_key", "memberd.toml:1: apis: unknown section"},
      {"[api]\n\nport = \"8080\"\n", "config_bad_value",
       "memberd.toml:3: api.port: expected an integer"},
      {"[api]\nport = 70000\n", "config_bad_value",
       "memberd.toml:2: api.port: 70000 is out of range"},
      {"[api]\nlisten = \"0.0.0.0\"\n", "config_bad_value",
       "memberd.toml:2: api.listen: '0.0.0.0' is not a loopback address"},
      {"[database]\n# note\nsynchronous = \"SOMETIMES\"\n", "config_bad_value",
       "memberd.toml:3: database.synchronous: 'SOMETIMES'"},
      {"[log]\nlevel = \"loud\"\n", "config_bad_value", "memberd.toml:2: log.level: 'loud'"},
      {"[store]\nid = \"has space\"\n", "config_bad_value", "memberd.toml:2: store.id"},
      // '-' would make the till's minted ids ambiguous ("P-S1-T1-..."); HQ refuses it too.
      {"[store]\nid = \"S1-T1\"\n", "config_bad_value", "memberd.toml:2: store.id: 'S1-T1'"},
      {"[store]\nterminal = \"T-1\"\n", "config_bad_value",
       "memberd.toml:2: store.terminal: 'T-1'"},
      {"[store]\nid = 5\n", "config_bad_value", "memberd.toml:2: store.id: expected a string"},
      {"[api]\nport = \n", "config_syntax", "memberd.toml:2:"},
      {"store = 1\n", "config_bad_value", "memberd.toml:1: store: expected a [store] table"},
      {"[store]\ntimezone = \"Mars/Olympus_Mons\"\n", "config_bad_value",
       "memberd.toml:2: store.timezone: 'Mars/Olympus_Mons' is not a time zone in the IANA tz "
       "database"},
      {"[store]\ntimezone = \"UTC+8\"\n", "config_bad_value",
       "memberd.toml:2: store.timezone: 'UTC+8' is not a time zone"},
      {"[store]\nutc_offset_minutes = 900\n", "config_bad_value",
       "memberd.toml:2: store.utc_offset_minutes: 900 is out of range"},
  }));
  INFO(c.text);
  auto config = parse_config(c.text, "memberd.toml");
  REQUIRE_FALSE(config);
  CHECK(config.error().code == c.code);
  CHECK_THAT(config.error().message, Catch::StartsWith(c.expected));
}

TEST_CASE("store.timezone alone decides the store-local date", "[config][timezone]") {
  // 2026-03-09T04:30Z: 00:30 on 9 March in New York (EDT since the 8th), still the 8th at a
  // fixed UTC-5.
  const std::int64_t t = 1'773'030'600'000;
  SECTION("a daylight-saving zone by name") {
    auto config = parse_config("[store]\ntimezone = \"America/New_York\"\n", "m.toml");
    REQUIRE(config);
    auto zone = config->store.zone();
    REQUIRE(zone);
    CHECK(zone->name() == "America/New_York");
    CHECK(zone->local_date_at(t).day == 9);
    CHECK(config->store.deprecation_warning().empty());
  }
  SECTION("the deprecated offset is ignored, with a warning, when the zone is set") {
    auto config = parse_config(
        "[store]\ntimezone = \"America/New_York\"\nutc_offset_minutes = -300\n", "m.toml");
    REQUIRE(config);
    auto zone = config->store.zone();
    REQUIRE(zone);
    CHECK(zone->local_date_at(t).day == 9);
    CHECK_THAT(config->store.deprecation_warning(),
               Catch::Contains("deprecated and ignored") && Catch::Contains("America/New_York"));
  }
  SECTION("the deprecated offset alone is still honoured, with a warning") {
    auto config = parse_config("[store]\nutc_offset_minutes = -300\n", "m.toml");
    REQUIRE(config);
    auto zone = config->store.zone();
    REQUIRE(zone);
    CHECK(zone->name() == "UTC-05:00");
    CHECK(zone->local_date_at(t).day == 8);
    CHECK_THAT(config->store.deprecation_warning(), Catch::Contains("deprecated"));
  }
  SECTION("neither: Asia/Shanghai") {
    auto config = parse_config("", "m.toml");
    REQUIRE(config);
    CHECK(config->store.zone()->name() == "Asia/Shanghai");
  }
}

TEST_CASE("A missing config file is reported with its path", "[config]") {
  auto config = load_config("/nonexistent/memberd.toml");
  REQUIRE_FALSE(config);
  CHECK(config.error().code == "config_unreadable");
  CHECK_THAT(config.error().message, Catch::Contains("/nonexistent/memberd.toml"));
}

TEST_CASE("memberd --check-config accepts a good file and rejects a bad one", "[config][memberd]") {
  pma::test::TempDir dir;
  std::string good = dir.file("good.toml"), bad = dir.file("bad.toml"), out = dir.file("out.txt");
  std::ofstream(good) << "[api]\nport = 9100\n";
  std::ofstream(bad) << "[api]\nport = 9100\nverbose = true\n";
  std::string memberd = PMA_MEMBERD;
  int ok =
      std::system((memberd + " --check-config --config " + good + " > " + out + " 2>&1").c_str());
  CHECK(WEXITSTATUS(ok) == 0);
  int rejected =
      std::system((memberd + " --check-config --config " + bad + " > " + out + " 2>&1").c_str());
  CHECK(WEXITSTATUS(rejected) == 2);
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Contains("bad.toml:3: api.verbose: unknown key"));
}

TEST_CASE("Device, codes and sync sections are read and checked", "[config]") {
  auto config = parse_config(
      "[[scanner]]\nname = \"front\"\nkind = \"serial\"\npath = \"/dev/ttyACM0\"\nbaud = 115200\n"
      "terminator = \"crlf\"\n"
      "[[scanner]]\nname = \"fwd\"\nkind = \"tcp\"\nport = 9200\n"
      "[[printer]]\nname = \"receipt\"\ntransport = \"tcp\"\nhost = \"192.0.2.10\"\n"
      "paper = \"58mm\"\n"
      "[codes]\ncoupon_prefix = \"CP-\"\n[codes.hq_keys]\n\"1\" = \"/etc/memberd/hq-1.pub.pem\"\n"
      "[sync]\nhq_host = \"hq.example\"\nca = \"a\"\ncert = \"b\"\nkey = \"c\"\n",
      "m.toml");
  REQUIRE(config);
  REQUIRE(config->scanners.size() == 2);
  CHECK(config->scanners[0].serial.baud == 115200);
  CHECK(config->scanners[1].port == 9200);
  REQUIRE(config->printers.size() == 1);
  CHECK(config->printers[0].paper == pma::printer::Paper::mm58);
  CHECK(config->printers[0].tcp.host == "192.0.2.10");
  CHECK(config->codes.rules.coupon_prefix == "CP-");
  CHECK(config->codes.hq_keys.at(1) == "/etc/memberd/hq-1.pub.pem");
  CHECK(config->sync.enabled());
}

TEST_CASE("Errors in device, codes and sync sections name the line and key", "[config]") {
  struct Case {
    const char* text;
    const char* expected;
  };
  auto c = GENERATE(values<Case>({
      {"[[scanner]]\nname = \"a\"\npath = \"/dev/x\"\nspeed = 9600\n",
       "m.toml:4: scanner.speed: unknown key"},
      {"[[scanner]]\nname = \"a\"\npath = \"/dev/x\"\nterminator = \"semicolon\"\n",
       "m.toml:4: scanner.terminator:"},
      {"[[printer]]\nname = \"p\"\ntransport = \"carrier-pigeon\"\n", "m.toml:1: printer:"},
      {"[[printer]]\nname = \"p\"\npaper = \"A4\"\n", "m.toml:3: printer.paper:"},
      {"[codes.hq_keys]\n\"zero\" = \"/x.pem\"\n", "m.toml:2: codes.hq_keys.zero:"},
      {"[sync]\nhq_host = \"hq\"\n", "m.toml:2: sync.hq_host: syncing with HQ needs"},
      {"[sync]\nreconcile_start = \"25:00\"\n", "m.toml:2: sync.reconcile_start:"},
      {"[codes]\ncoupon_prefix = \"\"\n", "m.toml:2: codes.coupon_prefix:"},
  }));
  INFO(c.text);
  auto config = parse_config(c.text, "m.toml");
  REQUIRE_FALSE(config);
  CHECK_THAT(config.error().message, Catch::StartsWith(c.expected));
}

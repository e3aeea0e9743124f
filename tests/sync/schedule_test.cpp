#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "pma/phone.h"
#include "sync/hq/member_import.h"
#include "tests/sync/sync_world.h"

using pma::sync::ClientConfig;
using pma::sync::SyncClient;

TEST_CASE("Backoff doubles per failure up to the cap, with jitter in the upper half",
          "[sync][schedule]") {
  ClientConfig config;
  config.backoff_initial = std::chrono::milliseconds(1000);
  config.backoff_max = std::chrono::milliseconds(60000);
  CHECK(SyncClient::backoff_delay(config, 1, 0.999).count() == 999);
  CHECK(SyncClient::backoff_delay(config, 1, 0.0).count() == 500);
  CHECK(SyncClient::backoff_delay(config, 3, 0.0).count() == 2000);
  CHECK(SyncClient::backoff_delay(config, 30, 0.0).count() == 30000);
  CHECK(SyncClient::backoff_delay(config, 30, 0.999).count() <= 60000);
}

TEST_CASE("Each terminal reconciles at a stable minute inside the configured window",
          "[sync][schedule]") {
  ClientConfig config;
  config.reconcile_start_minute = 120;
  config.reconcile_window_minutes = 180;
  std::set<int> minutes;
  for (int i = 0; i < 50; ++i) {
    config.jitter_key = fmt::format("S{}/T1", i);
    int minute = SyncClient::reconcile_minute(config);
    CHECK(minute >= 120);
    CHECK(minute < 300);
    CHECK(minute == SyncClient::reconcile_minute(config));
    minutes.insert(minute);
  }
  CHECK(minutes.size() > 20);  // spread out, not one stampede
}

TEST_CASE("The started schedule trickles new checkouts to HQ without being asked",
          "[sync][schedule]") {
  pma::test::SyncWorld world;
  world.import_members(1, 0);
  auto& till = world.add_till("A", "T1");
  auto config = world.client_config(till);
  config.trickle_interval = std::chrono::milliseconds(50);
  till.client = std::make_unique<SyncClient>(world.io, *till.sync_store, config, world.till_clock);
  REQUIRE(till.client->start());
  for (int round = 1; round <= 3; ++round) {
    world.checkout(till, "M1", 10);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (world.hq_balance("M1") != 10 * round && std::chrono::steady_clock::now() < deadline) {
      world.io.run_for(std::chrono::milliseconds(20));
    }
    CHECK(world.hq_balance("M1") == 10 * round);
  }
  till.client->stop();
}

TEST_CASE("HQ imports CSV and JSON lines with the tills' phone hash, rejecting bad rows by line",
          "[sync][import]") {
  std::string csv =
      "member_id,card_no,phone,name,birthday,tier,points\n"
      "M1,8860001,+86 138 1234 5678,Wang,03-08,gold,1200\n"
      "M2,8860002,12345,Li,,normal,5\n"
      "M3,8860003,,\"Zhao, Jr\",,silver,x\n";
  auto parsed = pma::hq::parse_member_base(csv, "csv", "chain-key");
  REQUIRE(parsed.members.size() == 1);
  REQUIRE(parsed.errors.size() == 2);
  CHECK(parsed.errors[0].line == 3);
  CHECK(parsed.errors[0].message.find("12345") == std::string::npos);
  CHECK(parsed.errors[1].line == 4);
  const auto& m = parsed.members[0];
  CHECK(m.tier == 3);
  CHECK(m.points == 1200);
  CHECK(m.phone_masked == "138****5678");
  auto till_hash = pma::PhoneHasher("chain-key").hash("13812345678");
  CHECK(std::equal(till_hash.begin(), till_hash.end(), m.phone_hash.begin(), m.phone_hash.end()));

  auto jsonl = pma::hq::parse_member_base(
      "{\"member_id\":\"M9\",\"phone\":\"13900001111\",\"tier\":\"silver\",\"points\":\"7\"}\n"
      "not json\n",
      "jsonl", "chain-key");
  REQUIRE(jsonl.members.size() == 1);
  CHECK(jsonl.members[0].tier == 2);
  CHECK(jsonl.members[0].points == 7);
  REQUIRE(jsonl.errors.size() == 1);
  CHECK(jsonl.errors[0].line == 2);
}

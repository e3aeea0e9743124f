#include "tests/sync/sync_world.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>

#include "pma/phone.h"
#include "sync/hq/member_import.h"

namespace pma::test {

namespace asio = boost::asio;

SyncWorld::SyncWorld(hq::ServerConfig server_config, hq::Sink* sink_override) {
  ca_dir = dir.file("ca");
  REQUIRE(hq::init_ca(ca_dir));
  auto opened = hq::SqliteSink::open(dir.file("hq.db"), "NORMAL");
  REQUIRE(opened);
  sink = std::move(*opened);
  server_config.listen_address = "127.0.0.1";
  server_config.port = 0;
  server_config.tls = {ca_dir + "/ca.crt", ca_dir + "/server.crt", ca_dir + "/server.key"};
  server = std::make_unique<hq::Server>(io, sink_override ? *sink_override : *sink, server_config,
                                        hq_clock);
  auto bound = server->start();
  REQUIRE(bound);
  port = *bound;
}

SyncWorld::~SyncWorld() {
  for (auto& [name, till] : tills_) {
    if (till->client) till->client->stop();
  }
  server->stop();
  io.run_for(std::chrono::milliseconds(200));
}

sync::ClientConfig SyncWorld::client_config(const Till& till, std::uint16_t port_override) const {
  sync::ClientConfig config;
  config.hq_host = "127.0.0.1";
  config.hq_port = port_override ? port_override : port;
  config.tls = {ca_dir + "/ca.crt", till.cert.cert_file, till.cert.key_file};
  config.io_timeout = std::chrono::milliseconds(5000);
  config.max_batch_deltas = 100;
  config.max_page_members = 50;
  config.jitter_key = till.store_id + "/" + till.terminal_id;
  return config;
}

Till& SyncWorld::add_till(const std::string& store_id, const std::string& terminal_id,
                          std::uint16_t port_override) {
  auto till = std::make_unique<Till>();
  till->store_id = store_id;
  till->terminal_id = terminal_id;
  till->db_path = dir.file(store_id + "-" + terminal_id + ".db");
  auto cert = hq::issue_terminal_cert(ca_dir, store_id, terminal_id, dir.file("certs"));
  REQUIRE(cert);
  till->cert = *cert;
  auto db = store::open_store(till->db_path);
  REQUIRE(db);
  till->db = std::move(*db);
  till->sync_store = std::make_unique<store::SqliteSyncStore>(*till->db);
  till->client = std::make_unique<sync::SyncClient>(
      io, *till->sync_store, client_config(*till, port_override), till_clock);
  Till& ref = *till;
  tills_[store_id + "/" + terminal_id] = std::move(till);
  return ref;
}

void SyncWorld::restart(Till& till) {
  till.client.reset();
  till.sync_store.reset();
  till.db.reset();
  auto db = store::open_store(till.db_path);
  REQUIRE(db);
  till.db = std::move(*db);
  till.sync_store = std::make_unique<store::SqliteSyncStore>(*till.db);
  till.client =
      std::make_unique<sync::SyncClient>(io, *till.sync_store, client_config(till), till_clock);
}

Result<sync::SyncReport> SyncWorld::sync(Till& till, sync::SyncClient::ProgressFn progress) {
  std::optional<Result<sync::SyncReport>> result;
  till.client->sync_now(std::move(progress), [&](Result<sync::SyncReport> r) { result = r; });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!result && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(20));
  }
  REQUIRE(result.has_value());
  return *result;
}

std::vector<Result<sync::SyncReport>> SyncWorld::sync_all(const std::vector<Till*>& tills) {
  std::vector<std::optional<Result<sync::SyncReport>>> results(tills.size());
  for (std::size_t i = 0; i < tills.size(); ++i) {
    tills[i]->client->sync_now(nullptr,
                               [&results, i](Result<sync::SyncReport> r) { results[i] = r; });
  }
  auto done = [&] {
    for (auto& r : results) {
      if (!r) return false;
    }
    return true;
  };
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(20));
  }
  REQUIRE(done());
  std::vector<Result<sync::SyncReport>> out;
  for (auto& r : results) out.push_back(*r);
  return out;
}

void SyncWorld::import_members(int count, std::int64_t points) {
  std::vector<hq::ImportedMember> members;
  for (int i = 1; i <= count; ++i) {
    members.push_back({fmt::format("M{}", i),
                       fmt::format("88600000{:04}", i),
                       {},
                       "",
                       fmt::format("Member {}", i),
                       "",
                       1,
                       points});
  }
  REQUIRE(sink->import_members(members));
}

std::uint64_t SyncWorld::write_delta(Till& till, pma::v1::Delta delta, const std::string& member_id,
                                     std::int64_t points, const std::string& kind) {
  auto& db = *till.db;
  auto tx = store::Transaction::begin(db);
  REQUIRE(tx);
  // The checkout engineer's rule: seq = max(last + 1, seq_floor).
  std::int64_t last = count(till, "SELECT COALESCE(MAX(seq), 0) FROM outbox");
  std::int64_t floor = count(till,
                             "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM "
                             "sync_state WHERE key = 'seq_floor'), 0)");
  std::int64_t seq = std::max(last + 1, floor);
  std::string txn = delta.txn_id().empty()
                        ? fmt::format("{}-{}-{}", till.store_id, till.terminal_id, ++txn_counter_)
                        : delta.txn_id();
  delta.set_seq(static_cast<std::uint64_t>(seq));
  delta.set_txn_id(txn);
  delta.set_occurred_at_ms(1'700'000'000'000 + seq);
  std::string payload = delta.SerializeAsString();
  auto insert = db.prepare(
      "INSERT INTO outbox(seq, txn_id, kind, payload, created_at) VALUES(?1, ?2, ?3, ?4, ?5)");
  REQUIRE(insert);
  insert->bind(1, seq).bind(2, txn).bind(3, kind);
  insert->bind_blob(
      4, std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
  insert->bind(5, std::int64_t{1'700'000'000});
  REQUIRE(insert->run());
  if (points != 0) {
    auto ledger = db.prepare(
        "INSERT INTO ledger(member_id, txn_id, kind, points, created_at, outbox_seq) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    REQUIRE(ledger);
    ledger->bind_all(member_id, txn, kind, points, std::int64_t{1'700'000'000}, seq);
    REQUIRE(ledger->run());
  }
  REQUIRE(tx->commit());
  return static_cast<std::uint64_t>(seq);
}

std::uint64_t SyncWorld::checkout(Till& till, const std::string& member_id, std::int64_t earned,
                                  std::int64_t burned, std::vector<std::string> coupons) {
  pma::v1::Delta delta;
  auto* c = delta.mutable_checkout();
  c->set_member_id(member_id);
  c->set_gross_fen(100 * earned);
  c->set_paid_fen(100 * earned);
  c->set_points_earned(earned);
  c->set_points_burned(burned);
  for (auto& code : coupons) c->add_coupon_codes(code);
  return write_delta(till, delta, member_id, earned - burned, "checkout");
}

pma::v1::Delta registration_delta(const std::string& provisional_id, const std::string& phone,
                                  const std::string& name) {
  pma::v1::Delta delta;
  auto* r = delta.mutable_member_registered();
  r->set_provisional_id(provisional_id);
  auto hash = pma::PhoneHasher("chain-key").hash(phone);
  r->set_phone_hash(std::string(hash.begin(), hash.end()));
  r->set_phone_masked(pma::mask_phone(phone));
  r->set_name(name);
  return delta;
}

std::uint64_t SyncWorld::register_member(Till& till, const std::string& provisional_id,
                                         const std::string& phone) {
  pma::PhoneHasher hasher("chain-key");
  store::MemberStore members(*till.db, hasher);
  REQUIRE(members.upsert({.member_id = provisional_id, .phone = phone, .name = "New"}, 0));
  return write_delta(till, registration_delta(provisional_id, phone, "New"), provisional_id, 0,
                     "member_registered");
}

std::int64_t SyncWorld::count(Till& till, const std::string& sql) {
  auto stmt = till.db->prepare(sql);
  REQUIRE(stmt);
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  return stmt->column_int64(0);
}

std::int64_t SyncWorld::till_balance(Till& till, const std::string& member_id) {
  auto stmt = till.db->prepare(
      "SELECT COALESCE((SELECT hq_points FROM members WHERE member_id = ?1), 0) + "
      "COALESCE((SELECT SUM(points) FROM ledger WHERE member_id = ?1 AND hq_reflected = 0), 0)");
  REQUIRE(stmt);
  stmt->bind(1, member_id);
  auto row = stmt->step();
  REQUIRE(row);
  return stmt->column_int64(0);
}

std::int64_t SyncWorld::hq_balance(const std::string& member_id) {
  auto member = sink->member(member_id);
  REQUIRE(member);
  REQUIRE(member->has_value());
  return (*member)->points;
}

}  // namespace pma::test

// Issue 11 item 9: one certificate (or one store's certificates, or peers without any) holding
// idle sessions must not lock the other stores out of HQ. Real memberhq on loopback, mutual
// TLS with test-issued certificates, hand-driven clients for the idle sessions.
#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <catch2/catch.hpp>

#include "sync/net/frame_stream.h"
#include "sync/net/tls.h"
#include "sync/wire/messages.h"
#include "tests/sync/sync_world.h"
#include "tests/sync/terminal_tls.h"

using namespace pma::test;  // SyncWorld, Till and the shared helpers
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct Idle {
  int admitted = 0;  // got HQ's handshake frame (after Hello) or nothing but an open session
  int busy = 0;
  int ended = 0;  // HQ closed the session (replaced, timed out) or refused it
};

// A terminal session that says Hello (hello) or nothing, then sits idle until HQ ends it.
asio::awaitable<void> idle_session(ssl::context& tls, std::uint16_t port, bool hello, Idle& out) {
  ssl::stream<tcp::socket> stream(co_await asio::this_coro::executor, tls);
  auto [cec] = co_await stream.lowest_layer().async_connect(
      {asio::ip::make_address("127.0.0.1"), port}, asio::as_tuple(asio::use_awaitable));
  auto [hec] = cec ? std::tuple<boost::system::error_code>{cec}
                   : co_await stream.async_handshake(ssl::stream_base::client,
                                                     asio::as_tuple(asio::use_awaitable));
  if (!hec && hello) {
    auto frame = pma::wire::encode_message(pma::wire::FrameType::hello, pma::v1::Hello());
    (void)co_await pma::net::write_frame(stream, frame);
  }
  if (!hec) {
    auto frame = co_await pma::net::read_frame(stream, pma::wire::kDefaultMaxPayload);
    if (frame && frame->type == pma::wire::FrameType::busy) {
      ++out.busy;
    } else if (frame && frame->type == pma::wire::FrameType::handshake) {
      ++out.admitted;
      (void)co_await pma::net::read_frame(stream, pma::wire::kDefaultMaxPayload);
    }
  }
  ++out.ended;
}

// `n` idle sessions of one certificate, started now on the world's io_context.
void spawn_idle(SyncWorld& world, ssl::context& tls, int n, bool hello, Idle& idle) {
  for (int i = 0; i < n; ++i) {
    asio::co_spawn(world.io, idle_session(tls, world.port, hello, idle), asio::detached);
  }
}

template <typename Done>
void run_until(SyncWorld& world, Done done, std::chrono::seconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    world.io.run_for(std::chrono::milliseconds(10));
  }
}

void other_stores_are_served(SyncWorld& world) {
  Till& s2 = world.add_till("S2", "T1");
  Till& s3 = world.add_till("S3", "T1");
  world.checkout(s2, "M1", 2);
  world.checkout(s3, "M1", 3);
  auto results = world.sync_all({&s2, &s3});
  for (auto& r : results) {
    INFO((r ? std::string("ok") : r.error().code + ": " + r.error().message));
    CHECK(r);
  }
  CHECK(world.hq_balance("M1") == 5);
}

pma::hq::ServerConfig small_hq() {
  pma::hq::ServerConfig config;
  config.max_sessions = 8;
  config.max_sessions_per_store = 4;
  config.io_timeout = std::chrono::milliseconds(60'000);  // idle sessions do not time out here
  return config;
}

}  // namespace

TEST_CASE("200 idle sessions of one certificate hold one slot: each new one replaces the older",
          "[sync][rogue][admission]") {
  SyncWorld world(small_hq());
  world.import_members(1, 0);
  auto tls = terminal_tls(world, "S1", "T9");
  Idle idle;
  spawn_idle(world, *tls, 200, true, idle);
  run_until(
      world, [&] { return idle.ended >= 199; }, std::chrono::seconds(30));
  CHECK(idle.ended == 199);
  CHECK(idle.busy == 0);
  CHECK(world.server->stats().sessions_active == 1);
  CHECK(world.server->stats().replaced == 199);
  other_stores_are_served(world);
}

TEST_CASE("Idle connections of one terminal without Hello are bounded per terminal",
          "[sync][rogue][admission]") {
  SyncWorld world(small_hq());
  world.import_members(1, 0);
  auto tls = terminal_tls(world, "S1", "T9");
  Idle idle;
  spawn_idle(world, *tls, 50, false, idle);
  // The default four per terminal stay; each newer one closed the oldest.
  run_until(
      world, [&] { return idle.ended >= 46; }, std::chrono::seconds(30));
  CHECK(idle.ended == 46);
  CHECK(world.server->stats().sessions_active == 4);
  other_stores_are_served(world);
}

TEST_CASE("One store's certificates take at most its share of the sessions",
          "[sync][rogue][admission]") {
  SyncWorld world(small_hq());
  world.import_members(1, 0);
  std::vector<std::shared_ptr<ssl::context>> certs;
  Idle idle;
  for (int t = 1; t <= 8; ++t) {
    certs.push_back(terminal_tls(world, "S1", "T" + std::to_string(t)));
    asio::co_spawn(world.io, idle_session(*certs.back(), world.port, true, idle), asio::detached);
  }
  run_until(
      world, [&] { return idle.admitted + idle.busy >= 8; }, std::chrono::seconds(30));
  CHECK(idle.admitted == 4);
  CHECK(idle.busy == 4);
  CHECK(world.server->stats().refused_store_busy == 4);
  other_stores_are_served(world);  // two more stores while S1 holds its four
}

TEST_CASE("Connections that never finish the TLS handshake hold no session and time out",
          "[sync][rogue][admission]") {
  pma::hq::ServerConfig config;
  config.max_sessions = 2;
  config.max_handshakes = 40;
  config.handshake_timeout = std::chrono::milliseconds(1000);
  config.io_timeout = std::chrono::milliseconds(60'000);
  SyncWorld world(config);
  world.import_members(1, 0);
  // 30 peers connect and say nothing.
  std::vector<std::unique_ptr<tcp::socket>> silent;
  for (int i = 0; i < 30; ++i) {
    auto& s = silent.emplace_back(std::make_unique<tcp::socket>(world.io));
    s->connect({asio::ip::make_address("127.0.0.1"), world.port});
  }
  other_stores_are_served(world);
  // HQ drops each after handshake_timeout (not io_timeout).
  int closed = 0;
  std::array<char, 16> buffer{};
  for (auto& s : silent) {
    s->async_read_some(asio::buffer(buffer), [&closed](boost::system::error_code ec, std::size_t) {
      if (ec) ++closed;
    });
  }
  run_until(
      world, [&] { return closed == 30; }, std::chrono::seconds(20));
  CHECK(closed == 30);
  // Beyond max_handshakes, a connection is closed at once.
  silent.clear();
  for (int i = 0; i < 45; ++i) {
    auto& s = silent.emplace_back(std::make_unique<tcp::socket>(world.io));
    s->connect({asio::ip::make_address("127.0.0.1"), world.port});
  }
  run_until(
      world, [&] { return world.server->stats().refused_handshakes >= 5; },
      std::chrono::seconds(20));
  CHECK(world.server->stats().refused_handshakes == 5);
}

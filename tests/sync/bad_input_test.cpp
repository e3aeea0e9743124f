#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
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

struct RawOutcome {
  bool handshake_ok = false;
  bool got_handshake_frame = false;
  std::string error_code;  // from HQ's error frame, or the read error
};

// A hand-driven TLS client: handshake, Hello, then arbitrary bytes; reads what HQ answers.
asio::awaitable<void> raw_session(ssl::context& tls, std::uint16_t port,
                                  std::vector<std::uint8_t> bad, bool hold, RawOutcome& out,
                                  bool hang_up = false) {
  ssl::stream<tcp::socket> stream(co_await asio::this_coro::executor, tls);
  auto [cec] = co_await stream.lowest_layer().async_connect(
      {asio::ip::make_address("127.0.0.1"), port}, asio::as_tuple(asio::use_awaitable));
  if (cec) co_return;
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client,
                                               asio::as_tuple(asio::use_awaitable));
  if (hec) {
    out.error_code = "tls_handshake";
    co_return;
  }
  out.handshake_ok = true;
  auto hello = pma::wire::encode_message(pma::wire::FrameType::hello, pma::v1::Hello());
  (void)co_await pma::net::write_frame(stream, hello);
  auto frame = co_await pma::net::read_frame(stream, pma::wire::kDefaultMaxPayload);
  if (!frame) {
    out.error_code = frame.error().code;
    co_return;
  }
  if (frame->type == pma::wire::FrameType::busy) {
    out.error_code = "busy";
    co_return;
  }
  if (frame->type == pma::wire::FrameType::error) {
    pma::v1::Handshake ignored;
    out.error_code =
        pma::wire::decode_message(*frame, pma::wire::FrameType::handshake, ignored).error().code;
    co_return;
  }
  out.got_handshake_frame = frame->type == pma::wire::FrameType::handshake;
  if (hold) {
    // Keep the session open (an admitted slot) until HQ closes it.
    (void)co_await pma::net::read_frame(stream, pma::wire::kDefaultMaxPayload);
    co_return;
  }
  (void)co_await pma::net::write_frame(stream, bad);
  if (hang_up) {
    // A truncated frame: hang up mid-payload.
    stream.lowest_layer().close();
    out.error_code = "closed_by_us";
    co_return;
  }
  auto reply = co_await pma::net::read_frame(stream, pma::wire::kDefaultMaxPayload);
  if (!reply) {
    out.error_code = reply.error().code;
    co_return;
  }
  pma::v1::Ack ack;
  auto decoded = pma::wire::decode_message(*reply, pma::wire::FrameType::ack, ack);
  out.error_code = decoded ? "ack" : decoded.error().code;
}

RawOutcome run_raw(SyncWorld& world, ssl::context& tls, std::vector<std::uint8_t> bad,
                   bool hold = false, bool hang_up = false) {
  RawOutcome out;
  bool done = false;
  asio::co_spawn(world.io, raw_session(tls, world.port, std::move(bad), hold, out, hang_up),
                 [&](std::exception_ptr) { done = true; });
  // Returns as soon as the client is done: what HQ makes of it is awaited by the caller.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done && std::chrono::steady_clock::now() < deadline) {
    world.io.run_one_for(std::chrono::milliseconds(10));
  }
  REQUIRE(done);
  return out;
}

// Runs HQ until `happened` (an event HQ counts in its stats), at most 30 s of io time.
template <typename Predicate>
bool run_until(SyncWorld& world, Predicate happened) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!happened() && std::chrono::steady_clock::now() < deadline) {
    world.io.run_one_for(std::chrono::milliseconds(10));
  }
  return happened();
}

}  // namespace

TEST_CASE("Oversize, truncated, garbled and unknown frames are refused while HQ serves others",
          "[sync][bad_input]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& good = world.add_till("GOOD", "T1");
  auto tls = terminal_tls(world, "EVIL", "T1");

  auto check_refused = [&](std::vector<std::uint8_t> bad, const std::string& code,
                           bool hang_up = false) {
    auto before = world.server->stats().protocol_errors;
    auto out = run_raw(world, *tls, std::move(bad), false, hang_up);
    CHECK(out.got_handshake_frame);
    if (!code.empty()) CHECK(out.error_code == code);
    // A client that hung up is done before HQ reads the end of its stream: wait for HQ to
    // count the session's error.
    CHECK(run_until(world, [&] { return world.server->stats().protocol_errors > before; }));
    CHECK(world.server->stats().protocol_errors == before + 1);
    // HQ keeps serving the other stores.
    world.checkout(good, "M1", 1);
    REQUIRE(world.sync(good));
  };
  SECTION("oversize") { check_refused({0x00, 0x20, 0x00, 0x00, 3}, "frame_oversize"); }
  SECTION("unknown type") { check_refused({0, 0, 0, 1, 77, 0}, "frame_unknown_type"); }
  SECTION("garbled zstd") { check_refused({0, 0, 0, 4, 3, 1, 2, 3, 4}, "zstd_garbled"); }
  SECTION("garbled protobuf") {
    std::vector<std::uint8_t> junk(32, 0xff);
    check_refused(
        pma::wire::encode_frame(pma::wire::FrameType::batch, pma::wire::zstd_compress(junk)),
        "protobuf_garbled");
  }
  SECTION("truncated") { check_refused({0, 0, 0, 100, 3, 1, 2, 3}, "", true); }
  SECTION("a second hello") {
    check_refused(pma::wire::encode_message(pma::wire::FrameType::hello, pma::v1::Hello()),
                  "frame_unexpected");
  }
  CHECK(*world.sink->applied_count({"EVIL", "T1"}) == 0);
}

TEST_CASE("Certificates from another CA, or none, are refused", "[sync][bad_input]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& good = world.add_till("GOOD", "T1");
  std::string foreign = world.dir.file("foreign-ca");
  REQUIRE(pma::hq::init_ca(foreign));
  auto cert = pma::hq::issue_terminal_cert(foreign, "S1", "T1", world.dir.file("foreign"));
  REQUIRE(cert);

  SECTION("a terminal certificate signed by another chain's CA") {
    // The client trusts our HQ, but presents a certificate HQ did not issue.
    auto tls = terminal_tls(world, *cert);
    auto out = run_raw(world, *tls, {});
    CHECK_FALSE(out.got_handshake_frame);
  }
  SECTION("no client certificate at all") {
    ssl::context tls(ssl::context::tls_client);
    tls.load_verify_file(world.ca_dir + "/ca.crt");
    tls.set_verify_mode(ssl::verify_peer);
    auto out = run_raw(world, tls, {});
    CHECK_FALSE(out.got_handshake_frame);
  }
  SECTION("a SyncClient configured with the foreign certificate reports the failure") {
    Till& bad = world.add_till("S2", "T1");
    auto config = world.client_config(bad);
    config.tls.cert_file = cert->cert_file;
    config.tls.key_file = cert->key_file;
    bad.client = std::make_unique<pma::sync::SyncClient>(world.io, *bad.sync_store, config,
                                                         world.till_clock);
    world.checkout(bad, "M1", 5);
    auto result = world.sync(bad);
    REQUIRE_FALSE(result);
    // HQ refuses the certificate: with TLS 1.3 the client learns it on its first read.
    INFO(result.error().message);
    CHECK(result.error().code == "tls_refused");
    CHECK_FALSE(bad.client->status().value().reachable);
    CHECK_THAT(bad.client->hq_refusal(), Catch::StartsWith("tls_refused: "));
    CHECK(world.count(bad, "SELECT COUNT(*) FROM outbox") == 1);  // nothing pruned
  }
  CHECK(run_until(world, [&] { return world.server->stats().refused_tls >= 1; }));
  world.checkout(good, "M1", 1);
  REQUIRE(world.sync(good));
  CHECK(world.hq_balance("M1") == 1);
}

TEST_CASE("Beyond max_sessions HQ answers Busy with a retry hint instead of falling over",
          "[sync][admission]") {
  pma::hq::ServerConfig config;
  config.max_sessions = 1;
  config.retry_after_ms = 1234;
  config.io_timeout = std::chrono::milliseconds(3000);
  SyncWorld world(config);
  Till& a = world.add_till("A", "T1");
  auto tls = terminal_tls(world, "HOLD", "T1");
  // One session holds the only slot (HQ closes it after io_timeout).
  RawOutcome holder;
  bool holder_done = false;
  asio::co_spawn(world.io, raw_session(*tls, world.port, {}, true, holder),
                 [&](std::exception_ptr) { holder_done = true; });
  while (!holder.got_handshake_frame) world.io.run_for(std::chrono::milliseconds(5));
  auto busy = world.sync(a);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code == "hq_busy");
  CHECK(busy.error().message.find("1234") != std::string::npos);
  CHECK(world.server->stats().refused_busy == 1);
  while (!holder_done) world.io.run_for(std::chrono::milliseconds(10));
  REQUIRE(world.sync(a));
}

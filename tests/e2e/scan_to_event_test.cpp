#include <google/protobuf/util/json_util.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <chrono>

#include "drivers/codes/crypto.h"
#include "drivers/codes/member_qr.h"
#include "pma/v1/api.pb.h"
#include "tests/support/memberd_process.h"
#include "tests/support/pty_pair.h"

namespace websocket = boost::beast::websocket;
using pma::test::MemberdProcess;

namespace {

// A POS front-end's event stream: a real WebSocket client on /v1/events.
class EventClient {
 public:
  EventClient(int port, const std::string& token, const std::string& query = "") : ws_(io_) {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                            static_cast<unsigned short>(port));
    boost::beast::get_lowest_layer(ws_).connect(endpoint);
    ws_.handshake("127.0.0.1", "/v1/events?access_token=" + token + query);
  }

  // Reads the next event, waiting up to 10 s (a generous deadline, not a timing assertion).
  pma::v1::Event next() {
    boost::beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(10));
    boost::beast::flat_buffer buffer;
    ws_.read(buffer);
    pma::v1::Event event;
    auto text = boost::beast::buffers_to_string(buffer.data());
    INFO(text);
    REQUIRE(google::protobuf::util::JsonStringToMessage(text, &event).ok());
    return event;
  }

  // The next scan event, skipping device state changes.
  pma::v1::Event next_scan() {
    for (;;) {
      auto event = next();
      if (event.has_scan()) return event;
    }
  }

 private:
  boost::asio::io_context io_;
  websocket::stream<boost::beast::tcp_stream> ws_;
};

}  // namespace

TEST_CASE("A dynamic member QR typed into a scanner pty reaches the POS as the member",
          "[e2e][scanner][codes]") {
  pma::test::TempDir keys;
  auto hq = pma::codes::Ed25519PrivateKey::generate().value();
  REQUIRE(hq.public_key().write_pem_file(keys.file("hq-1.pub.pem")));
  pma::test::PtyPair scanner;

  MemberdProcess memberd("[codes.hq_keys]\n\"1\" = \"" + keys.file("hq-1.pub.pem") +
                         "\"\n[[scanner]]\nname = \"front\"\nkind = \"serial\"\npath = \"" +
                         scanner.device_path() + "\"\nbaud = 9600\nterminator = \"cr\"\n");
  REQUIRE(memberd.wait_ready());
  EventClient pos(memberd.port(), memberd.token());

  auto app = pma::codes::Ed25519PrivateKey::generate().value();
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto credential =
      pma::codes::issue_credential(hq, 1, "M00000003", app.public_key(), now + 3600).value();
  std::string qr =
      pma::codes::make_member_qr(credential, app, pma::codes::time_step_at(now)).value();

  SECTION("accepted: the member arrives with tier and points") {
    scanner.write(qr + "\r");
    auto event = pos.next_scan();
    INFO(memberd.log());
    CHECK(event.seq() > 0);
    CHECK(event.scan().device() == "front");
    CHECK(event.scan().kind() == "member_qr");
    REQUIRE(event.scan().accepted());
    CHECK(event.scan().matched_by() == "member_qr");
    CHECK(event.scan().member().member_id() == "M00000003");
    CHECK_FALSE(event.scan().member().name().empty());
    CHECK(event.scan().member().tier() != pma::v1::TIER_UNSPECIFIED);

    SECTION("the same code again (after the duplicate window) is a replay, rejected") {
      // Reconnect from the last seq: nothing is lost, nothing repeated.
      EventClient again(memberd.port(), memberd.token(), "&since=" + std::to_string(event.seq()));
      scanner.write(std::string("junk\x01\x02") + "\r");
      auto junk = again.next_scan();
      CHECK(junk.seq() > event.seq());
      CHECK_FALSE(junk.scan().accepted());
      CHECK(junk.scan().kind() == "unrecognised");
    }
  }
  SECTION("a forged code is rejected with a reason") {
    auto forger = pma::codes::Ed25519PrivateKey::generate().value();
    auto forged =
        pma::codes::issue_credential(forger, 1, "M00000003", app.public_key(), now + 3600).value();
    scanner.write(pma::codes::make_member_qr(forged, app, pma::codes::time_step_at(now)).value() +
                  "\r");
    auto event = pos.next_scan();
    CHECK_FALSE(event.scan().accepted());
    CHECK(event.scan().reason_code() == "qr_forged");
    CHECK_FALSE(event.scan().reason().empty());
  }
  SECTION("a card number scanned reaches the POS too") {
    scanner.write("8860000000007945\r");  // demo member M00000002's card
    auto event = pos.next_scan();
    REQUIRE(event.scan().accepted());
    CHECK(event.scan().member().member_id() == "M00000002");
    CHECK(event.scan().kind() == "card_number");
  }
  CHECK(memberd.stop() == 0);
}

TEST_CASE("A POS that reconnects with since= receives the events it missed", "[e2e][events]") {
  pma::test::PtyPair scanner;
  MemberdProcess memberd("[[scanner]]\nname = \"s1\"\nkind = \"serial\"\npath = \"" +
                         scanner.device_path() + "\"\nterminator = \"lf\"\n");
  REQUIRE(memberd.wait_ready());
  std::uint64_t last = 0;
  {
    EventClient pos(memberd.port(), memberd.token());
    scanner.write("8860000000007945\n");
    last = pos.next_scan().seq();
  }
  // While the POS is away, two more scans happen.
  {
    EventClient probe(memberd.port(), memberd.token(), "&since=" + std::to_string(last));
    scanner.write("8860000000000026\n");
    scanner.write("CPN-ABCD1234\n");
    auto a = probe.next_scan();
    auto b = probe.next_scan();
    CHECK(b.seq() == a.seq() + 1);
  }
  EventClient back(memberd.port(), memberd.token(), "&since=" + std::to_string(last));
  auto first = back.next_scan();
  auto second = back.next_scan();
  CHECK(first.seq() == last + 1);
  CHECK(first.scan().member().member_id() == "M00000001");
  CHECK(second.scan().kind() == "coupon");
  CHECK(second.scan().coupon_code() == "CPN-ABCD1234");
}

TEST_CASE("The event stream refuses a client without the token", "[e2e][events]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  CHECK_THROWS(EventClient(memberd.port(), "wrong-token"));
}

TEST_CASE(
    "A scanner on the default terminator accepts CR, LF and CRLF; a dropped partial "
    "scan reaches the POS as a rejection",
    "[e2e][scanner][events]") {
  pma::test::PtyPair scanner;
  MemberdProcess memberd("[[scanner]]\nname = \"s1\"\nkind = \"serial\"\npath = \"" +
                         scanner.device_path() + "\"\n");
  REQUIRE(memberd.wait_ready());
  EventClient pos(memberd.port(), memberd.token());
  scanner.write("8860000000007945\n");
  CHECK(pos.next_scan().scan().member().member_id() == "M00000002");
  scanner.write("8860000000000026\r\n");
  CHECK(pos.next_scan().scan().member().member_id() == "M00000001");
  scanner.write("CPN-ABCD1234\r");
  CHECK(pos.next_scan().scan().coupon_code() == "CPN-ABCD1234");
  // No terminator: after the partial timeout (1 s) the characters are dropped, and said so.
  scanner.write("88600000");
  auto dropped = pos.next_scan();
  INFO(memberd.log());
  CHECK_FALSE(dropped.scan().accepted());
  CHECK(dropped.scan().device() == "s1");
  CHECK(dropped.scan().reason_code() == "scan_incomplete");
  CHECK_THAT(dropped.scan().reason(), Catch::Contains("8 characters"));
  CHECK_THAT(dropped.scan().reason(), Catch::Contains("terminator"));
  CHECK_THAT(memberd.log(), Catch::Contains("scan_incomplete"));
  // The scanner keeps working.
  scanner.write("8860000000007945\n");
  CHECK(pos.next_scan().scan().member().member_id() == "M00000002");
}

TEST_CASE("Events carry the agent's boot id, so a POS notices that seq started again",
          "[e2e][events]") {
  pma::test::PtyPair scanner;
  const std::string toml =
      "[[scanner]]\nname = \"s1\"\nkind = \"serial\"\npath = \"" + scanner.device_path() + "\"\n";
  std::string first_boot;
  pma::test::TempDir kept;  // the state folder outlives the first memberd
  const std::string state = kept.file("state");
  std::uint64_t first_seq = 0;
  {
    MemberdProcess memberd(pma::test::MemberdOptions{.extra_toml = toml, .state_dir = state});
    REQUIRE(memberd.wait_ready());
    EventClient pos(memberd.port(), memberd.token());
    scanner.write("8860000000007945\n");
    auto a = pos.next_scan();
    scanner.write("8860000000000026\n");
    auto b = pos.next_scan();
    first_boot = a.boot_id();
    first_seq = a.seq();
    CHECK(first_boot.size() >= 16);
    CHECK(b.boot_id() == first_boot);
    // A POS asking from a seq this boot never reached hears a gap, with the boot id.
    EventClient ahead(memberd.port(), memberd.token(), "&since=1000");
    auto gap = ahead.next();
    CHECK(gap.has_replay_gap());
    CHECK(gap.boot_id() == first_boot);
    CHECK(memberd.stop() == 0);
  }
  pma::test::MemberdOptions options;
  options.extra_toml = toml;
  options.state_dir = state;
  MemberdProcess again(options);
  REQUIRE(again.wait_ready());
  EventClient pos(again.port(), again.token());
  scanner.write("8860000000007945\n");
  auto c = pos.next_scan();
  CHECK(c.seq() <= first_seq);  // seq started again ...
  CHECK_FALSE(c.boot_id().empty());
  CHECK(c.boot_id() != first_boot);  // ... and the boot id says so
}

TEST_CASE("The event stream refuses a since= that is not a seq, saying why", "[e2e][events]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  for (std::string since : {"abc", "-1", "12x", "99999999999999999999999"}) {
    INFO(since);
    boost::asio::io_context io;
    websocket::stream<boost::beast::tcp_stream> ws(io);
    boost::beast::get_lowest_layer(ws).connect(
        {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(memberd.port())});
    websocket::response_type response;
    boost::system::error_code ec;
    ws.handshake(response, "127.0.0.1",
                 "/v1/events?access_token=" + memberd.token() + "&since=" + since, ec);
    CHECK(ec);
    CHECK(response.result_int() == 400);
    CHECK_THAT(response.body(), Catch::Contains("\"code\":\"invalid_request\""));
    CHECK_THAT(response.body(), Catch::Contains("since"));
  }
  // A plain GET (no upgrade) is told what the endpoint is, not 404.
  auto plain = memberd.client().request("GET", "/v1/events");
  REQUIRE(plain);
  CHECK(plain->status == 400);
  CHECK_THAT(plain->body, Catch::Contains("WebSocket"));
}

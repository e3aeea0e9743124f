#include <google/protobuf/util/json_util.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <vector>

#include "pma/v1/api.pb.h"
#include "pma/v1/checkout.pb.h"
#include "pma/v1/receipt.pb.h"
#include "tests/support/memberd_process.h"
#include "tests/support/virtual_printer.h"

using pma::test::MemberdProcess;

namespace {

// Runs the virtual printer's loop until `done` or a generous deadline.
template <typename Pred>
bool pump(boost::asio::io_context& io, Pred done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(20));
  }
  return done();
}

// store_extra: more [store] keys, one "key = value\n" each.
std::string printer_config(std::uint16_t port, const std::string& store_extra = "") {
  return "[store]\nname = \"鲜果茶 南京西路店\"\n" + store_extra +
         "[[printer]]\nname = \"receipt\"\n"
         "transport = \"tcp\"\nhost = \"127.0.0.1\"\nport = " +
         std::to_string(port) +
         "\npaper = \"80mm\"\nretry_ms = 100\n[printing]\n"
         "print_on_commit = true\n";
}

}  // namespace

TEST_CASE("A member block printed through the agent comes out in Chinese with its QR",
          "[e2e][printer]") {
  boost::asio::io_context io;
  pma::test::VirtualPrinter printer(io, 48);
  std::uint16_t port = printer.listen_tcp(0);
  MemberdProcess memberd(printer_config(port));
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();

  const std::string qr = "PMA1:TEST QR PAYLOAD 0123456789";
  pma::v1::PrintReceiptRequest request;
  request.set_idem_key("print-1");
  auto* receipt = request.mutable_receipt();
  receipt->set_member_name("王小明");
  receipt->set_phone_masked("138****5678");
  receipt->set_tier(pma::v1::TIER_GOLD);
  receipt->set_points_earned(25);
  receipt->set_points_balance(12670);
  auto* coupon = receipt->add_coupons_available();
  coupon->set_title("满50减10元券");
  coupon->set_expires_on("2026-12-31");
  receipt->set_member_qr(qr);
  std::string body;
  REQUIRE(google::protobuf::util::MessageToJsonString(request, &body).ok());

  auto reply = client.request("POST", "/v1/print", body);
  REQUIRE(reply);
  INFO(reply->body);
  REQUIRE(reply->status == 200);
  REQUIRE(pump(io, [&] { return printer.receipts().size() >= 1 && printer.receipts()[0].cut; }));

  const auto& printed = printer.receipts()[0];
  INFO(printed.text());
  CHECK(printed.contains("鲜果茶 南京西路店"));  // store name from the config, GB18030 round trip
  CHECK(printed.contains("满50减10元券"));
  CHECK(printed.contains("12,670"));
  CHECK(printed.contains("138****5678"));
  REQUIRE(printed.qr_codes.size() == 1);
  CHECK(printed.qr_codes[0].payload == qr);

  SECTION("the same idempotency key never prints a copy") {
    auto again = client.request("POST", "/v1/print", body);
    REQUIRE(again);
    CHECK_THAT(again->body, Catch::Contains("\"duplicate\":true"));
    // A later, different job prints; had the duplicate been queued it would come first.
    request.set_idem_key("print-2");
    body.clear();  // MessageToJsonString appends
    REQUIRE(google::protobuf::util::MessageToJsonString(request, &body).ok());
    auto second = client.request("POST", "/v1/print", body);
    REQUIRE(second);
    INFO(second->body);
    REQUIRE(pump(io, [&] { return printer.receipts().size() >= 2 && printer.receipts()[1].cut; }));
    CHECK(printer.receipts().size() == 2);
  }
  SECTION("a checkout commit prints the member block by itself") {
    auto commit = client.request(
        "POST", "/v1/checkout/commit",
        R"({"txnId":"POS-9","memberId":"M00000001","lines":[{"sku":"TEA","qty":1,"unitPriceFen":2000,"category":"tea","discountable":true}]})");
    REQUIRE(commit);
    INFO(commit->body);
    REQUIRE(commit->status == 200);
    REQUIRE(pump(io, [&] { return printer.receipts().size() >= 2 && printer.receipts()[1].cut; }));
    CHECK(printer.receipts()[1].contains("POS-9"));
  }
  SECTION("print-on-commit and the POS printing the commit's receipt give one member block") {
    auto commit = client.request(
        "POST", "/v1/checkout/commit",
        R"({"txnId":"POS-10","memberId":"M00000001","lines":[{"sku":"TEA","qty":1,"unitPriceFen":2000,"category":"tea","discountable":true}]})");
    REQUIRE(commit);
    INFO(commit->body);
    REQUIRE(commit->status == 200);
    pma::v1::CommitResponse committed;
    REQUIRE(google::protobuf::util::JsonStringToMessage(commit->body, &committed).ok());
    const pma::v1::MemberReceipt& block = committed.receipt();
    CHECK(block.transaction_id() == "POS-10");
    CHECK_FALSE(block.member_name().empty());
    CHECK_FALSE(block.member_qr().empty());  // the member's card number
    REQUIRE(pump(io, [&] { return printer.receipts().size() >= 2 && printer.receipts()[1].cut; }));
    const auto& by_agent = printer.receipts()[1];
    INFO(by_agent.text());
    CHECK(by_agent.contains("交易号 POS-10"));
    CHECK(by_agent.contains(block.member_name()));
    REQUIRE(by_agent.qr_codes.size() == 1);
    CHECK(by_agent.qr_codes[0].payload == block.member_qr());

    // The POS prints the commit's receipt as it is, keyed by the transaction id.
    pma::v1::PrintReceiptRequest pos_print;
    pos_print.set_idem_key("POS-10");
    *pos_print.mutable_receipt() = block;
    std::string pos_body;
    REQUIRE(google::protobuf::util::MessageToJsonString(pos_print, &pos_body).ok());
    auto again = client.request("POST", "/v1/print", pos_body);
    REQUIRE(again);
    CHECK(again->status == 200);
    CHECK_THAT(again->body, Catch::Contains("\"duplicate\":true"));
    // Another key for the same transaction is refused rather than printed a second time.
    pos_print.set_idem_key("till:POS-10");
    pos_body.clear();
    REQUIRE(google::protobuf::util::MessageToJsonString(pos_print, &pos_body).ok());
    auto other_key = client.request("POST", "/v1/print", pos_body);
    REQUIRE(other_key);
    CHECK(other_key->status == 400);
    CHECK_THAT(other_key->body, Catch::Contains("invalid_print_job"));

    // A refund's block (points taken back: negative) prints; a later job proves nothing else
    // was queued for POS-10 in between.
    auto refund =
        client.request("POST", "/v1/refunds", R"({"refundId":"R-10","originalTxnId":"POS-10"})");
    REQUIRE(refund);
    INFO(refund->body);
    REQUIRE(refund->status == 200);
    pma::v1::RefundResponse refunded;
    REQUIRE(google::protobuf::util::JsonStringToMessage(refund->body, &refunded).ok());
    CHECK(refunded.receipt().points_earned() < 0);
    pma::v1::PrintReceiptRequest refund_print;
    *refund_print.mutable_receipt() = refunded.receipt();  // keyed by its transaction id R-10
    std::string refund_body;
    REQUIRE(google::protobuf::util::MessageToJsonString(refund_print, &refund_body).ok());
    auto printed_refund = client.request("POST", "/v1/print", refund_body);
    REQUIRE(printed_refund);
    INFO(printed_refund->body);
    REQUIRE(printed_refund->status == 200);
    REQUIRE(pump(io, [&] { return printer.receipts().size() >= 3 && printer.receipts()[2].cut; }));
    CHECK(printer.receipts().size() == 3);
    CHECK(printer.receipts()[2].contains("交易号 R-10"));
    CHECK(printer.receipts()[2].contains("退货扣回积分"));
  }
  CHECK(memberd.stop() == 0);
}

TEST_CASE("Render returns ESC/POS bytes and text lines without printing", "[e2e][printer]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  auto reply = client.request(
      "POST", "/v1/receipts/render",
      R"({"receipt":{"memberName":"李娜","pointsBalance":"88","memberQr":"PMA1:X"},"paper":"PAPER_WIDTH_58MM"})");
  REQUIRE(reply);
  INFO(reply->body);
  REQUIRE(reply->status == 200);
  pma::v1::RenderReceiptResponse rendered;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &rendered).ok());
  CHECK(rendered.columns() == 32);
  CHECK_FALSE(rendered.escpos().empty());
  CHECK(rendered.member_qr() == "PMA1:X");
  bool has_name = false;
  for (const auto& line : rendered.lines())
    has_name = has_name || line.find("李娜") != std::string::npos;
  CHECK(has_name);
  auto no_printer = client.request("POST", "/v1/print", R"({"idemKey":"x","receipt":{}})");
  REQUIRE(no_printer);
  CHECK(no_printer->status == 409);
  CHECK_THAT(no_printer->body, Catch::Contains("no_printer"));
}

namespace {

// A POS front-end's event stream (/v1/events, from the first event on) read on the test's
// io_context, the one that also runs the virtual printer: device events are collected as they
// arrive while pump() runs.
class DeviceEventStream {
 public:
  DeviceEventStream(boost::asio::io_context& io, int port, const std::string& token) : ws_(io) {
    boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                            static_cast<unsigned short>(port));
    boost::beast::get_lowest_layer(ws_).connect(endpoint);
    ws_.handshake("127.0.0.1", "/v1/events?since=0&access_token=" + token);
    read();
  }

  std::vector<pma::v1::DeviceState> printer_events() const {
    std::vector<pma::v1::DeviceState> out;
    for (const auto& d : devices_) {
      if (d.kind().starts_with("printer/")) out.push_back(d);
    }
    return out;
  }

 private:
  void read() {
    ws_.async_read(buffer_, [this](boost::beast::error_code ec, std::size_t) {
      if (ec) return;  // closed (memberd stopped)
      pma::v1::Event event;
      auto text = boost::beast::buffers_to_string(buffer_.data());
      buffer_.consume(buffer_.size());
      if (google::protobuf::util::JsonStringToMessage(text, &event).ok() && event.has_device()) {
        devices_.push_back(event.device());
      }
      read();
    });
  }

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::vector<pma::v1::DeviceState> devices_;
};

std::string print_body(const std::string& idem_key) {
  pma::v1::PrintReceiptRequest request;
  request.set_idem_key(idem_key);
  request.mutable_receipt()->set_member_name("王小明");
  request.mutable_receipt()->set_points_balance(88);
  std::string body;
  REQUIRE(google::protobuf::util::MessageToJsonString(request, &body).ok());
  return body;
}

}  // namespace

TEST_CASE("Paper out and back reach the POS on /v1/events once each, and the job prints once",
          "[e2e][printer][events]") {
  boost::asio::io_context io;
  pma::test::VirtualPrinter printer(io, 48);
  std::uint16_t port = printer.listen_tcp(0);
  MemberdProcess memberd(printer_config(port));
  REQUIRE(memberd.wait_ready());
  DeviceEventStream pos(io, memberd.port(), memberd.token());
  auto client = memberd.client();

  printer.set_state(pma::test::PrinterState::paper_out);
  auto reply = client.request("POST", "/v1/print", print_body("print-paper-1"));
  REQUIRE(reply);
  INFO(reply->body);
  REQUIRE(reply->status == 200);
  REQUIRE(pump(io, [&] { return !pos.printer_events().empty(); }));
  INFO(memberd.log());
  auto events = pos.printer_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].name() == "receipt");
  CHECK(events[0].state() == "error");
  CHECK_THAT(events[0].reason(), Catch::StartsWith("paper_out: "));

  // memberd keeps asking the printer (retry_ms = 100): still one event, nothing printed.
  int queries = printer.status_queries();
  REQUIRE(pump(io, [&] { return printer.status_queries() > queries + 8; }));
  CHECK(pos.printer_events().size() == 1);
  CHECK(printer.receipts().empty());

  printer.set_state(pma::test::PrinterState::online);
  REQUIRE(pump(io, [&] { return pos.printer_events().size() >= 2; }));
  REQUIRE(pump(io, [&] { return !printer.receipts().empty() && printer.receipts()[0].cut; }));
  events = pos.printer_events();
  REQUIRE(events.size() == 2);
  CHECK(events[1].state() == "ready");
  CHECK(printer.receipts().size() == 1);
  CHECK(printer.parser().cut_receipts_containing("王小明") == 1);
  CHECK(memberd.stop() == 0);
}

TEST_CASE("A printer that stops taking connections reaches the POS as absent once, then ready",
          "[e2e][printer][events]") {
  boost::asio::io_context io;
  pma::test::VirtualPrinter printer(io, 48);
  auto port = static_cast<std::uint16_t>(pma::test::free_port());
  MemberdProcess memberd(printer_config(port));
  REQUIRE(memberd.wait_ready());
  // Listening only once memberd runs: a child forked while the listener is open inherits it and
  // keeps the port accepting connections after stop_listening().
  printer.listen_tcp(port);
  DeviceEventStream pos(io, memberd.port(), memberd.token());
  auto client = memberd.client();

  auto first = client.request("POST", "/v1/print", print_body("print-cable-1"));
  REQUIRE(first);
  REQUIRE(first->status == 200);
  REQUIRE(pump(io, [&] { return !printer.receipts().empty() && printer.receipts()[0].cut; }));

  printer.stop_listening();  // the cable is pulled
  auto second = client.request("POST", "/v1/print", print_body("print-cable-2"));
  REQUIRE(second);
  REQUIRE(second->status == 200);
  bool reported = pump(io, [&] { return !pos.printer_events().empty(); });
  INFO(memberd.log());
  REQUIRE(reported);
  auto events = pos.printer_events();
  REQUIRE(events.size() == 1);
  CHECK(events[0].state() == "absent");
  CHECK_THAT(events[0].reason(), Catch::StartsWith("printer_unreachable: "));

  printer.listen_tcp(port);
  REQUIRE(pump(io, [&] { return printer.receipts().size() >= 2 && printer.receipts()[1].cut; }));
  REQUIRE(pump(io, [&] { return pos.printer_events().size() >= 2; }));
  events = pos.printer_events();
  CHECK(events.size() == 2);
  CHECK(events[1].state() == "ready");
  CHECK(printer.receipts().size() == 2);
  CHECK(printer.parser().cut_receipts_containing("王小明") == 2);
  CHECK(memberd.stop() == 0);
}

TEST_CASE("A printer test page shows the store-local time of store.timezone", "[e2e][printer]") {
  boost::asio::io_context io;
  pma::test::VirtualPrinter printer(io, 48);
  std::uint16_t port = printer.listen_tcp(0);
  // Pacific/Kiritimati is UTC+14 all year: its date differs from UTC's for 14 hours a day, and
  // its hour always does, so a page printed in UTC (or the machine's zone) cannot pass.
  MemberdProcess memberd(printer_config(port, "timezone = \"Pacific/Kiritimati\"\n"));
  REQUIRE(memberd.wait_ready());
  auto local_hour = [] {
    const auto local = std::chrono::floor<std::chrono::hours>(std::chrono::system_clock::now()) +
                       std::chrono::hours(14);
    const auto day = std::chrono::floor<std::chrono::days>(local);
    const std::chrono::year_month_day ymd{day};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u %02ld:", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<long>((local - day).count()));
    return std::string(text);
  };
  const std::string before = local_hour();
  auto reply = memberd.client().request("POST", "/v1/printers/receipt/test", "{}");
  REQUIRE(reply);
  INFO(reply->body);
  REQUIRE(reply->status == 200);
  REQUIRE(pump(io, [&] { return printer.receipts().size() >= 1 && printer.receipts()[0].cut; }));
  const std::string after = local_hour();
  const auto& page = printer.receipts()[0];
  INFO(page.text());
  CHECK((page.contains(before) || page.contains(after)));
  CHECK_FALSE(page.contains("UTC"));
}

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "pma/v1/receipt.pb.h"
#include "support/memberd_process.h"
#include "support/virtual_printer.h"

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

std::string printer_config(std::uint16_t port) {
  return "[store]\nname = \"鲜果茶 南京西路店\"\n[[printer]]\nname = \"receipt\"\n"
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

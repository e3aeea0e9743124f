// The encoder's bytes parsed back by the virtual printer's independent parser.
#include "drivers/printer/escpos.h"

#include <catch2/catch.hpp>

#include "drivers/printer/test_page.h"
#include "tests/support/virtual_printer.h"

using namespace pma::printer;
using pma::test::EscPosParser;

namespace {

EscPosEncoder encoder(std::size_t columns = 48) {
  auto created = EscPosEncoder::create(columns);
  REQUIRE(created.has_value());
  return std::move(*created);
}

std::string finish(EscPosEncoder& e) {
  auto bytes = std::move(e).finish();
  REQUIRE(bytes.has_value());
  return *bytes;
}

}  // namespace

TEST_CASE("Chinese text round-trips through GB18030 between FS & and FS .", "[printer]") {
  auto e = encoder();
  e.initialize().line("会员积分 Points 1,280 分").cut();
  std::string bytes = finish(e);
  CHECK(bytes.find("\x1c&") != std::string::npos);
  CHECK(bytes.find("\x1c.") != std::string::npos);

  EscPosParser parser;
  parser.feed(bytes);
  REQUIRE(parser.receipts().size() == 1);
  const auto& receipt = parser.receipts()[0];
  CHECK(receipt.cut);
  REQUIRE(receipt.lines.size() == 1);
  CHECK(receipt.lines[0].text == "会员积分 Points 1,280 分");
  CHECK(parser.raw_high_bytes == 0);
  CHECK(parser.four_byte_sequences == 0);
  CHECK(parser.unknown_commands.empty());
}

TEST_CASE("Four-byte GB18030 characters are mapped to two-byte or marked substitutes",
          "[printer]") {
  auto e = encoder();
  e.line("价格 ¥12 😀 𠀀 ©");
  CHECK(e.substitutions() == 2);  // the emoji and the CJK extension B character
  std::string bytes = finish(e);
  EscPosParser parser;
  parser.feed(bytes);
  CHECK(parser.four_byte_sequences == 0);
  CHECK(parser.raw_high_bytes == 0);
  REQUIRE(parser.current().lines.size() == 1);
  CHECK(parser.current().lines[0].text == "价格 ￥12 ? ? (C)");
}

TEST_CASE("Control characters in text cannot inject printer commands", "[printer]") {
  auto e = encoder();
  e.line(
      "name\x1b@\x1dV\x01"
      "evil");
  EscPosParser parser;
  parser.feed(finish(e));
  CHECK(parser.initializations == 0);
  CHECK(parser.cuts == 0);
  REQUIRE(parser.current().lines.size() == 1);
  CHECK(parser.current().lines[0].text == "name@Vevil");
}

TEST_CASE("Styles, QR payload, CODE128, cut and drawer pulse are parsed back", "[printer]") {
  auto e = encoder();
  e.initialize()
      .align(Align::center)
      .bold(true)
      .size(2, 2)
      .line("旗舰店")
      .size(1, 1)
      .bold(false)
      .line("plain")
      .qr("PMA1:ABC-123 456",
          QrOptions{.module_size = 5, .error_correction = QrErrorCorrection::quartile})
      .code128("MC{0042}")
      .drawer_pulse()
      .cut(CutMode::full);
  EscPosParser parser;
  // Fed one byte at a time: commands split across reads must still parse.
  for (char byte : finish(e)) parser.feed(std::string_view(&byte, 1));
  REQUIRE(parser.receipts().size() == 1);
  const auto& r = parser.receipts()[0];
  REQUIRE(r.lines.size() == 2);
  CHECK(r.lines[0].text == "旗舰店");
  CHECK(r.lines[0].bold);
  CHECK(r.lines[0].width == 2);
  CHECK(r.lines[0].height == 2);
  CHECK(r.lines[0].align == 1);
  CHECK_FALSE(r.lines[1].bold);
  CHECK(r.lines[1].width == 1);
  REQUIRE(r.qr_codes.size() == 1);
  CHECK(r.qr_codes[0].payload == "PMA1:ABC-123 456");
  CHECK(r.qr_codes[0].model == 50);
  CHECK(r.qr_codes[0].module_size == 5);
  CHECK(r.qr_codes[0].error_correction == 'Q');
  REQUIRE(r.barcodes.size() == 1);
  CHECK(r.barcodes[0].type == 73);
  CHECK(r.barcodes[0].data == "MC{0042}");
  CHECK(parser.drawer_pulses == 1);
  CHECK(parser.cuts == 1);
  CHECK(parser.unknown_commands.empty());
}

TEST_CASE("Invalid QR and barcode data are errors, not bytes", "[printer]") {
  SECTION("empty QR payload") {
    auto e = encoder();
    e.qr("");
    CHECK(e.status().error().code == "qr_payload_size");
  }
  SECTION("oversized QR payload") {
    auto e = encoder();
    e.qr(std::string(3000, 'A'));
    CHECK(std::move(e).finish().error().code == "qr_payload_size");
  }
  SECTION("non-ASCII barcode") {
    auto e = encoder();
    e.code128("会员");
    CHECK(e.status().error().code == "barcode_data_invalid");
  }
}

TEST_CASE("Double-width text wraps at half the columns", "[printer]") {
  auto e = encoder(32);
  e.size(2, 1).line("会员会员会员会员会员");  // 20 columns at width 2 = 40 > 32
  EscPosParser parser(32);
  parser.feed(finish(e));
  REQUIRE(parser.current().lines.size() == 2);
  CHECK(parser.current().lines[0].text == "会员会员会员会员");
  CHECK(parser.overflowing_lines == 0);
}

TEST_CASE("The REPRINT banner goes after the job's ESC @", "[printer]") {
  auto e = encoder();
  e.initialize().line("订单 42").cut();
  auto reprint = with_reprint_banner(finish(e), 48);
  REQUIRE(reprint.has_value());
  EscPosParser parser;
  parser.feed(*reprint);
  REQUIRE(parser.receipts().size() == 1);
  CHECK(parser.receipts()[0].lines.front().text == "*** REPRINT 重印 ***");
  CHECK(parser.receipts()[0].contains("订单 42"));
}

TEST_CASE("The test page prints whole on both paper widths", "[printer]") {
  for (Paper paper : {Paper::mm58, Paper::mm80}) {
    auto page = test_page(paper, "tcp:192.168.1.50:9100", "2026-11-25 17:40");
    REQUIRE(page.has_value());
    EscPosParser parser(columns_for(paper));
    parser.feed(*page);
    REQUIRE(parser.receipts().size() == 1);
    const auto& r = parser.receipts()[0];
    CHECK(r.cut);
    CHECK(r.lines.at(0).text == "打印测试");
    CHECK(r.contains("积分 ￥￥ 满100减20—欢迎！"));
    CHECK(r.qr_codes.at(0).payload == "PMA PRINTER TEST");
    CHECK(r.barcodes.at(0).data == "PMA-TEST-128");
    CHECK(parser.overflowing_lines == 0);
    CHECK(parser.four_byte_sequences == 0);
    CHECK(parser.unknown_commands.empty());
  }
}

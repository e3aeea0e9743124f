// The member receipt block, rendered and parsed back by the virtual printer.
#include "agent/printing/receipt_block.h"

#include <catch2/catch.hpp>

#include "pma/v1/checkout.pb.h"
#include "tests/printer/queue_fixture.h"

using namespace pma;
using printer::Paper;

namespace {

v1::MemberReceipt sample_receipt() {
  v1::MemberReceipt r;
  r.set_store_name("鲜焙坊 徐汇旗舰店");
  r.set_phone_masked("138****5678");
  r.set_member_name("张小敏");
  r.set_tier(v1::TIER_SILVER);
  r.set_points_earned(128);
  r.set_points_used(1000);
  r.set_points_balance(12345);
  auto* used = r.add_coupons_used();
  used->set_title("满100减20元券");
  used->set_expires_on("2026-11-30");
  auto* birthday = r.add_coupons_available();
  birthday->set_title("生日蛋糕8折券（仅限本人生日当月使用）");
  birthday->set_expires_on("2026-12-31");
  r.add_coupons_available()->set_title("免费饮品券 ¥15");
  r.set_upgraded_to(v1::TIER_GOLD);
  r.set_member_qr("https://m.example.cn/member/M000123?s=88");
  r.set_transaction_id("S001-T02-000042");
  return r;
}

std::unique_ptr<test::EscPosParser> parse(const std::string& bytes, std::size_t columns) {
  auto parser = std::make_unique<test::EscPosParser>(columns);
  parser->feed(bytes);
  return parser;
}

}  // namespace

TEST_CASE("The member block prints in Chinese with its QR on 58 and 80 mm paper", "[printer]") {
  for (Paper paper : {Paper::mm58, Paper::mm80}) {
    std::size_t columns = printer::columns_for(paper);
    auto bytes = printing::render_receipt_escpos(sample_receipt(), paper);
    REQUIRE(bytes.has_value());
    test::EscPosParser parser(columns);
    parser.feed(*bytes);
    REQUIRE(parser.receipts().size() == 1);
    const auto& r = parser.receipts()[0];
    CHECK(r.cut);
    // Double width: 34 columns wrap on 58 mm paper, never splitting a character.
    std::string title = r.lines.at(0).text + (paper == Paper::mm58 ? r.lines.at(1).text : "");
    CHECK(title == "鲜焙坊 徐汇旗舰店");
    CHECK(r.lines.at(0).bold);
    CHECK(r.lines.at(0).width == 2);
    CHECK(r.lines.at(0).align == 1);
    std::string text = r.text();
    CHECK(text.find("138****5678") != std::string::npos);
    CHECK(text.find("张小敏") != std::string::npos);
    CHECK(text.find("银卡会员") != std::string::npos);
    CHECK(text.find("+128") != std::string::npos);
    CHECK(text.find("-1,000") != std::string::npos);
    CHECK(text.find("12,345") != std::string::npos);
    CHECK(text.find("满100减20元券") != std::string::npos);
    CHECK(text.find("至 2026-12-31") != std::string::npos);
    CHECK(text.find("免费饮品券 ￥15") != std::string::npos);  // ¥ mapped, not four bytes
    CHECK(text.find("恭喜您升级为金卡会员！") != std::string::npos);
    REQUIRE(r.qr_codes.size() == 1);
    CHECK(r.qr_codes[0].payload == "https://m.example.cn/member/M000123?s=88");
    CHECK(r.qr_codes[0].model == 50);
    CHECK(parser.overflowing_lines == 0);
    CHECK(parser.four_byte_sequences == 0);
    CHECK(parser.raw_high_bytes == 0);
    CHECK(parser.unknown_commands.empty());
    CHECK(parser.drawer_pulses == 0);
  }
}

TEST_CASE("Plain text lines fit the paper and match the printed rows", "[printer]") {
  auto codec = printer::GbkCodec::open();
  REQUIRE(codec.has_value());
  for (Paper paper : {Paper::mm58, Paper::mm80}) {
    std::size_t columns = printer::columns_for(paper);
    auto lines = printing::render_receipt_lines(sample_receipt(), paper);
    REQUIRE(lines.has_value());
    for (const auto& line : *lines) CHECK(printer::display_width(*codec, line) <= columns);
    auto bytes = printing::render_receipt_escpos(sample_receipt(), paper);
    REQUIRE(bytes.has_value());
    auto parser = parse(*bytes, columns);
    // Every left-aligned printed line appears verbatim among the text lines.
    for (const auto& printed : parser->receipts().at(0).lines) {
      if (printed.align != 0) continue;
      // The text keeps ¥ (the POS prints it); the printer gets the two-byte ￥.
      std::string expected = printed.text;
      if (auto at = expected.find("￥"); at != std::string::npos) expected.replace(at, 3, "¥");
      INFO(printed.text);
      CHECK(std::find(lines->begin(), lines->end(), expected) != lines->end());
    }
  }
}

TEST_CASE("An unmasked phone number is masked before it is printed", "[printer]") {
  auto receipt = sample_receipt();
  receipt.set_phone_masked("13812345678");
  auto bytes = printing::render_receipt_escpos(receipt, Paper::mm80);
  REQUIRE(bytes.has_value());
  CHECK(bytes->find("13812345678") == std::string::npos);
  CHECK(parse(*bytes, 48)->receipts().at(0).contains("138****5678"));
  // Written with a country code, it masks as the store masks it (not "861****5678").
  CHECK(printing::mask_phone("+86 138-1234-5678") == "138****5678");
  CHECK(printing::mask_phone("138****5678") == "138****5678");
  // A '*' does not make a full number count as masked.
  CHECK(printing::mask_phone("13812345678*") == "138****5678");
  CHECK(printing::mask_phone("12345") == "****");
}

TEST_CASE("Render gives a fragment without initialise or cut, plus lines and the QR", "[printer]") {
  v1::RenderReceiptRequest request;
  *request.mutable_receipt() = sample_receipt();
  request.set_paper(v1::PAPER_WIDTH_58MM);
  auto response = printing::render_receipt(request, Paper::mm80);
  REQUIRE(response.has_value());
  CHECK(response->columns() == 32);
  CHECK(response->escpos().find("\x1b@") == std::string::npos);
  CHECK(response->escpos().find("\x1dV") == std::string::npos);
  CHECK(response->member_qr() == sample_receipt().member_qr());
  CHECK(response->lines_size() > 10);
  auto parser = parse(response->escpos(), 32);
  CHECK(parser->cuts == 0);
  CHECK(parser->current().qr_codes.size() == 1);
}

TEST_CASE("Invalid receipts are refused with a reason", "[printer]") {
  auto receipt = sample_receipt();
  SECTION("points beyond any balance") {
    receipt.set_points_used(-1'000'000'000'001);
    auto refused = printing::render_receipt_escpos(receipt, Paper::mm80);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == "invalid_receipt");
    CHECK_THAT(refused.error().message, Catch::Contains("points_used"));
  }
  SECTION("a negative debt") {
    receipt.set_points_debt(-5);
    CHECK(printing::render_receipt_escpos(receipt, Paper::mm80).error().code == "invalid_receipt");
  }
  SECTION("a QR payload too long for a QR code") {
    receipt.set_member_qr(std::string(3000, 'x'));
    CHECK(printing::render_receipt_lines(receipt, Paper::mm58).error().code == "invalid_receipt");
  }
}

TEST_CASE("Printing a receipt twice with one idem key prints it once", "[printer][queue]") {
  test::QueueFixture f;
  v1::PrintReceiptRequest request;
  request.set_idem_key("S001-T02-000042");
  *request.mutable_receipt() = sample_receipt();
  request.set_open_drawer(true);
  auto first = printing::print_receipt(*f.queue, request, Paper::mm80);
  REQUIRE(first.has_value());
  CHECK_FALSE(first->duplicate());
  CHECK(first->state() == "queued");
  auto again = printing::print_receipt(*f.queue, request, Paper::mm80);
  REQUIRE(again.has_value());
  CHECK(again->duplicate());
  CHECK(again->job_id() == first->job_id());

  // Keyed by the transaction id: the key may be left out, and another key is refused.
  request.clear_idem_key();
  auto keyless = printing::print_receipt(*f.queue, request, Paper::mm80);
  REQUIRE(keyless.has_value());
  CHECK(keyless->duplicate());
  request.set_idem_key("till:S001-T02-000042");
  auto other = printing::print_receipt(*f.queue, request, Paper::mm80);
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().code == "invalid_print_job");
  CHECK_THAT(other.error().message, Catch::Contains("S001-T02-000042"));
  request.clear_idem_key();
  request.mutable_receipt()->clear_transaction_id();
  CHECK(printing::print_receipt(*f.queue, request, Paper::mm80).error().code ==
        "invalid_print_job");

  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  REQUIRE(f.printer.receipts().size() == 1);
  CHECK(f.printer.receipts()[0].qr_codes.at(0).payload == sample_receipt().member_qr());
  CHECK(f.printer.receipts()[0].contains("张小敏"));
  CHECK(f.printer.receipts()[0].contains("恭喜您升级为金卡会员！"));
  CHECK(f.printer.parser().drawer_pulses == 1);
}

TEST_CASE("A refund's member block prints the points taken back and given back", "[printer]") {
  auto receipt = sample_receipt();
  receipt.set_points_earned(-128);  // what the purchase earned, reversed
  receipt.set_points_used(-1000);   // what it burned, restored
  receipt.set_points_balance(-20);
  receipt.set_points_debt(20);
  receipt.clear_upgraded_to();
  auto lines = printing::render_receipt_lines(receipt, Paper::mm58);
  REQUIRE(lines.has_value());
  auto has = [&](const std::string& label, const std::string& value) {
    return std::any_of(lines->begin(), lines->end(), [&](const std::string& l) {
      return l.starts_with(label) && l.ends_with(value);
    });
  };
  CHECK(has("退货扣回积分", "-128"));
  CHECK(has("退货退回积分", "+1,000"));
  CHECK(has("积分余额", "-20"));
  CHECK(has("待补积分", "20"));
  auto bytes = printing::render_receipt_escpos(receipt, Paper::mm58);
  REQUIRE(bytes.has_value());
  CHECK(parse(*bytes, 32)->receipts().at(0).contains("退货扣回积分"));
}

TEST_CASE("Coupons print with their title, never their code", "[printer]") {
  auto receipt = sample_receipt();
  receipt.mutable_coupons_used(0)->set_code("CPN-SECRET1");
  receipt.mutable_coupons_available(0)->set_code("CPN-SECRET2");
  auto bytes = printing::render_receipt_escpos(receipt, Paper::mm80);
  REQUIRE(bytes.has_value());
  CHECK(bytes->find("CPN-SECRET") == std::string::npos);
  CHECK(parse(*bytes, 48)->receipts().at(0).contains("满100减20元券"));
}

namespace {

std::string varint(std::uint64_t v) {
  std::string out;
  do {
    unsigned char b = v & 0x7F;
    v >>= 7;
    out += static_cast<char>(v != 0 ? b | 0x80 : b);
  } while (v != 0);
  return out;
}
std::string field(int number, const std::string& bytes) {
  return varint(static_cast<std::uint64_t>(number) << 3 | 2) + varint(bytes.size()) + bytes;
}
std::string field(int number, std::uint64_t value) {
  return varint(static_cast<std::uint64_t>(number) << 3) + varint(value);
}

}  // namespace

TEST_CASE("A commit answer stored before the receipt model merged still reads",
          "[printer][compat]") {
  // CommitResponse.receipt as the former MemberReceiptSummary wrote it (field numbers of
  // checkout.proto before the merge): member_id 1, phone_masked 2, tier 3, points_earned 4,
  // new_balance 6, coupons_used 7 (codes), coupons_available 8 (MemberCoupon).
  std::string old_coupon = field(1, std::string("CPN-1")) + field(2, std::string("birthday")) +
                           field(3, std::string("生日券")) +
                           field(4, std::string("2026-12-31T15:59:59Z"));
  std::string old_summary = field(1, std::string("M1")) + field(2, std::string("138****5678")) +
                            field(3, std::uint64_t{3}) + field(4, std::uint64_t{120}) +
                            field(6, std::uint64_t{4120}) + field(7, std::string("CPN-0")) +
                            field(8, old_coupon);
  std::string stored = field(1, std::string("T-1")) + field(4, old_summary);
  v1::CommitResponse response;
  REQUIRE(response.ParseFromString(stored));
  const v1::MemberReceipt& r = response.receipt();
  CHECK(r.member_id() == "M1");
  CHECK(r.tier() == v1::TIER_GOLD);
  CHECK(r.points_earned() == 120);
  CHECK(r.points_balance() == 4120);  // new_balance, same number
  CHECK(r.coupons_used_size() == 0);  // the codes (field 7) are not carried over
  REQUIRE(r.coupons_available_size() == 1);
  CHECK(r.coupons_available(0).code() == "CPN-1");
  CHECK(r.coupons_available(0).title() == "生日券");
  CHECK(r.coupons_available(0).valid_until() == "2026-12-31T15:59:59Z");
}

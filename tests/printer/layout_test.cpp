#include "drivers/printer/layout.h"

#include <catch2/catch.hpp>

#include "drivers/printer/escpos.h"
#include "tests/support/virtual_printer.h"

using namespace pma::printer;

namespace {

GbkCodec codec() {
  auto c = GbkCodec::open();
  REQUIRE(c.has_value());
  return std::move(*c);
}

}  // namespace

TEST_CASE("A Chinese character is two columns, ASCII one", "[printer]") {
  auto c = codec();
  CHECK(display_width(c, "abc") == 3);
  CHECK(display_width(c, "会员") == 4);
  CHECK(display_width(c, "积分:12") == 7);
  CHECK(display_width(c, "￥") == 2);
  CHECK(display_width(c, "¥") == 2);  // printed as ￥
  CHECK(display_width(c, "😀") == 1);  // printed as ?
}

TEST_CASE("Wrapping never splits a wide character", "[printer]") {
  auto c = codec();
  for (std::size_t columns : {std::size_t{32}, std::size_t{48}}) {
    SECTION("odd start offset at " + std::to_string(columns) + " columns") {
      std::string text = "a";  // one ASCII column, then wide characters: the last one must move
      for (int i = 0; i < 40; ++i) text += "积";
      auto lines = wrap_text(c, text, columns);
      REQUIRE(lines.size() == (columns == 32 ? 3u : 2u));
      CHECK(display_width(c, lines[0]) == columns - 1);
      std::string rejoined;
      for (const auto& line : lines) {
        CHECK(display_width(c, line) <= columns);
        rejoined += line;
      }
      CHECK(rejoined == text);
    }
  }
}

TEST_CASE("Wrapping prefers a break after a space in ASCII text", "[printer]") {
  auto c = codec();
  auto lines = wrap_text(c, "Thank you for shopping with us today", 16);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] == "Thank you for");
  CHECK(lines[1] == "shopping with us");
  CHECK(lines[2] == "today");
}

TEST_CASE("Two-column rows fill the paper width exactly", "[printer]") {
  auto c = codec();
  for (Paper paper : {Paper::mm58, Paper::mm80}) {
    std::size_t columns = columns_for(paper);
    auto rows = two_column(c, "本次积分", "+128", columns);
    REQUIRE(rows.size() == 1);
    CHECK(display_width(c, rows[0]) == columns);
    CHECK(rows[0].starts_with("本次积分"));
    CHECK(rows[0].ends_with(" +128"));
  }
  SECTION("a label too long for one line puts the value on its own line, right-aligned") {
    auto rows = two_column(c, "生日双倍积分券生日双倍积分券生日双倍", "2026-12-31", 32);
    REQUIRE(rows.size() == 3);
    CHECK(display_width(c, rows[2]) == 32);
    CHECK(rows[2].ends_with("2026-12-31"));
  }
}

TEST_CASE("Encoded Chinese rows print within 32 and 48 columns on the virtual printer",
          "[printer]") {
  for (std::size_t columns : {std::size_t{32}, std::size_t{48}}) {
    auto e = EscPosEncoder::create(columns);
    REQUIRE(e.has_value());
    e->row("可用优惠券：生日蛋糕满100减20元券，全场通用", "有效期至 2026-12-31");
    e->line("a积分规则：每消费1元积1分，会员日双倍积分，积分可抵现金使用。");
    pma::test::EscPosParser parser(columns);
    parser.feed(e->bytes());
    CHECK(parser.overflowing_lines == 0);
    CHECK(parser.current().lines.size() >= 3);
    for (const auto& line : parser.current().lines) CHECK(line.columns <= columns);
  }
}

TEST_CASE("Paper widths parse", "[printer]") {
  CHECK(parse_paper("58mm").value() == Paper::mm58);
  CHECK(parse_paper("80").value() == Paper::mm80);
  CHECK(parse_paper("76mm").error().code == "invalid_paper_width");
}

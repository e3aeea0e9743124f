#include "drivers/codes/classify.h"

#include <catch2/catch.hpp>
#include <optional>
#include <string>

#include "pma/phone.h"

using pma::codes::classify_code;
using pma::codes::CodeKind;
using pma::codes::CodeRules;

namespace {

struct Row {
  std::string input;
  std::optional<CodeKind> kind;  // nullopt: code_unrecognised
};

void check_table(const CodeRules& rules, const std::vector<Row>& rows) {
  for (const auto& row : rows) {
    INFO("input: \"" << row.input << "\"");
    auto r = classify_code(row.input, rules);
    if (row.kind) {
      REQUIRE(r);
      CHECK(to_string(r->kind) == to_string(*row.kind));
    } else {
      REQUIRE_FALSE(r);
      CHECK(r.error().code == "code_unrecognised");
    }
  }
}

}  // namespace

TEST_CASE("Default rules classify cards, phones, coupons and member QRs", "[codes][classify]") {
  const CodeRules rules;
  REQUIRE(rules.validate());
  check_table(rules, {
                         {"12345678", CodeKind::card_number},
                         {"12345678901234567890", CodeKind::card_number},
                         {"1234567", std::nullopt},                // too short for a card
                         {"123456789012345678901", std::nullopt},  // too long
                         {"1234567A", std::nullopt},
                         {"13812345678", CodeKind::phone},
                         {"19912345678", CodeKind::phone},
                         {"12812345678", CodeKind::card_number},  // 12x is not a mobile prefix
                         {"23812345678", CodeKind::card_number},
                         {"138 1234 5678", CodeKind::phone},
                         {"138-1234-5678", CodeKind::phone},
                         {"+86 138 1234 5678", CodeKind::phone},
                         {"+8613812345678", CodeKind::phone},
                         {"0086-138-1234-5678", CodeKind::phone},
                         {"008613812345678", CodeKind::phone},
                         {"1381234567", CodeKind::card_number},  // 10 digits: a card
                         {"138 1234 567", std::nullopt},         // spaced but not a phone
                         {"+86 12345678", std::nullopt},
                         {"CPN-AB12", CodeKind::coupon},
                         {"CPN-ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", CodeKind::coupon},
                         {"CPN-ABC", std::nullopt},
                         {"CPN-ab12", std::nullopt},
                         {"CPN-AB12-X", std::nullopt},
                         {"CPN-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456", std::nullopt},
                         {"PMA1:anything", CodeKind::member_qr},  // the verifier judges the rest
                         {"PMA1:", CodeKind::member_qr},
                         {"pma1:ABC", std::nullopt},
                         {"", std::nullopt},
                         {"   ", std::nullopt},
                         {"hello world", std::nullopt},
                     });
}

TEST_CASE("Classification trims surrounding whitespace and keeps the code", "[codes][classify]") {
  auto card = classify_code("  12345678\r\n");
  REQUIRE(card);
  CHECK(card->value == "12345678");
  auto phone = classify_code("\t+86 138-1234-5678 ");
  REQUIRE(phone);
  CHECK(phone->kind == CodeKind::phone);
  CHECK(phone->value == "+86 138-1234-5678");  // raw: the store normalises and hashes it
  auto qr = classify_code("PMA1:%69 VD92EX0\n");
  REQUIRE(qr);
  CHECK(qr->value == "PMA1:%69 VD92EX0");  // inner spaces are Base45, kept
}

TEST_CASE("Unrecognised codes give a reason without echoing the input", "[codes][classify]") {
  auto r = classify_code("138 1234 567");
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("1234") == std::string::npos);
  CHECK(r.error().message.find("12 characters") != std::string::npos);
  auto coupon = classify_code("CPN-ab12");
  REQUIRE_FALSE(coupon);
  CHECK(coupon.error().message.find("CPN- then 4-32 of A-Z 0-9") != std::string::npos);
  auto empty = classify_code(" ");
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message.find("empty") != std::string::npos);
}

TEST_CASE("Every written form the store accepts as a phone is classified as a phone",
          "[codes][classify]") {
  // One rule (pma::normalize_phone): the scanner used to know only spaces, dashes, +86 and
  // 0086, so "86 138..." and "(+86) 138..." were refused as codes yet accepted by the lookup.
  for (const char* input : {"86 138 1234 5678", "(+86) 138 1234 5678", "86-13812345678",
                            "138\t1234\t5678", "+86 (138) 1234-5678"}) {
    INFO(input);
    auto code = classify_code(input);
    REQUIRE(code);
    CHECK(code->kind == CodeKind::phone);
    CHECK(pma::normalize_phone(code->value).value() == "13812345678");
  }
}

TEST_CASE("A bare 86... number that is a valid card number stays a card", "[codes][classify]") {
  // Scanners read cards; a 13-digit card 8613... was a card before the lookup learnt "86 138...".
  auto card = classify_code("8613812345678");
  REQUIRE(card);
  CHECK(card->kind == CodeKind::card_number);
  CodeRules short_cards;  // cards of 8-12 digits: the same digits can only be a phone
  short_cards.card_max_length = 12;
  REQUIRE(short_cards.validate());
  auto phone = classify_code("8613812345678", short_cards);
  REQUIRE(phone);
  CHECK(phone->kind == CodeKind::phone);
  CHECK(classify_code("+8613812345678")->kind == CodeKind::phone);
}

TEST_CASE("Order decides overlaps: QR prefix, coupon prefix, phone, then card",
          "[codes][classify]") {
  CodeRules rules;
  rules.card_min_length = 11;
  rules.card_max_length = 11;
  rules.coupon_prefix = "13";
  rules.coupon_min_length = 9;
  REQUIRE(rules.validate());
  // 13812345678 starts with the coupon prefix "13" and has 9 digits after it.
  auto r = classify_code("13812345678", rules);
  REQUIRE(r);
  CHECK(r->kind == CodeKind::coupon);

  CodeRules plain;
  plain.card_min_length = 11;
  plain.card_max_length = 11;
  auto phone = classify_code("13812345678", plain);
  REQUIRE(phone);
  CHECK(phone->kind == CodeKind::phone);
  plain.phone_enabled = false;
  auto card = classify_code("13812345678", plain);
  REQUIRE(card);
  CHECK(card->kind == CodeKind::card_number);
}

TEST_CASE("Card rules: prefix and letters are configurable", "[codes][classify]") {
  CodeRules rules;
  rules.card_prefix = "VIP";
  rules.card_min_length = 6;
  rules.card_max_length = 10;
  rules.card_digits_only = false;
  REQUIRE(rules.validate());
  check_table(rules, {
                         {"VIP123456", CodeKind::card_number},
                         {"VIPAB12CD", CodeKind::card_number},
                         {"VIP12345", std::nullopt},  // 5 after the prefix
                         {"VIPab1234", std::nullopt},
                         {"12345678", std::nullopt},  // prefix required
                         {"13812345678", CodeKind::phone},
                     });
}

TEST_CASE("CodeRules::validate names the bad key", "[codes][classify]") {
  auto invalid = [](CodeRules rules, std::string_view key) {
    auto s = rules.validate();
    REQUIRE_FALSE(s);
    CHECK(s.error().code == "config_invalid");
    CHECK(s.error().message.find(key) != std::string::npos);
  };
  CodeRules r;
  SECTION("inverted card range") {
    r.card_min_length = 12;
    r.card_max_length = 10;
    invalid(r, "card_min_length");
  }
  SECTION("zero card length") {
    r.card_min_length = 0;
    invalid(r, "card_min_length");
  }
  SECTION("coupon range too wide") {
    r.coupon_max_length = 100;
    invalid(r, "coupon_min_length");
  }
  SECTION("empty coupon prefix") {
    r.coupon_prefix = "";
    invalid(r, "coupon_prefix");
  }
  SECTION("coupon prefix with a space") {
    r.coupon_prefix = "C P";
    invalid(r, "coupon_prefix");
  }
  SECTION("card prefix that looks like a member QR") {
    r.card_prefix = "PMA";
    invalid(r, "card_prefix");
  }
  SECTION("card and coupon prefixes overlapping") {
    r.card_prefix = "CPN";
    invalid(r, "card_prefix");
  }
}

TEST_CASE("A till's welcome coupon code is classified as a coupon", "[codes][classify]") {
  // Registration mints W-<store>-<terminal>-<install id>-<n> (and W-<store>-<terminal>-<n>
  // before install ids); the POS gets it from a scan like any coupon.
  check_table(CodeRules{}, {
                               {"W-S042-T03-1", CodeKind::coupon},
                               {"W-S042-T03-1a2b3c4d-17", CodeKind::coupon},
                               {" W-S001-T01-00ff00ff-2 ", CodeKind::coupon},
                               {"W-S042", std::nullopt},
                               {"W-S042-T03-", std::nullopt},
                               {"W-S042-T03-x", std::nullopt},  // the last part is a number
                               {"W-S0 42-T03-1", std::nullopt},
                               {"W-S042-T03-1-2-3", std::nullopt},
                           });
  auto r = classify_code("W-S042-T03-1");
  REQUIRE(r);
  CHECK(r->value == "W-S042-T03-1");
  // A card prefix that would swallow welcome codes is refused.
  CodeRules rules;
  rules.card_prefix = "W-";
  rules.card_digits_only = false;
  CHECK_FALSE(rules.validate());
}

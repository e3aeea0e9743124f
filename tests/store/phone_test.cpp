#include "store/phone.h"

#include <catch2/catch.hpp>

using pma::store::mask_phone;
using pma::store::normalize_phone;
using pma::store::PhoneHasher;

TEST_CASE("Valid mainland mobile numbers normalise to 11 digits", "[store][phone]") {
  auto input = GENERATE(as<std::string>{}, "13812345678", "+8613812345678", "+86 138 1234 5678",
                        "+86-138-1234-5678", "86 13812345678", "0086 13812345678",
                        " 138-1234-5678 ", "(+86) 13812345678");
  INFO(input);
  auto phone = normalize_phone(input);
  REQUIRE(phone);
  CHECK(*phone == "13812345678");
}

TEST_CASE("Every leading pair 13 to 19 is accepted", "[store][phone]") {
  for (char second = '3'; second <= '9'; ++second) {
    std::string number = std::string("1") + second + "012345678";
    CHECK(normalize_phone(number).value() == number);
  }
}

TEST_CASE("Invalid numbers are rejected with the reason", "[store][phone]") {
  struct Case {
    const char* input;
    const char* reason;
  };
  auto c = GENERATE(values<Case>({
      {"", "empty"},
      {"   ", "empty"},
      {"1381234567", "has 10 digits"},
      {"138123456789", "has 12 digits"},
      {"12812345678", "starts with 12"},
      {"23812345678", "starts with 23"},
      {"+1 415 555 0100", "(+86)"},
      {"138a2345678", "contains 'a' at position 4"},
      {"138.1234.5678", "contains '.'"},
      {"+86+13812345678", "contains '+'"},
  }));
  INFO(c.input);
  auto phone = normalize_phone(c.input);
  REQUIRE_FALSE(phone);
  CHECK(phone.error().code == "invalid_phone");
  CHECK_THAT(phone.error().message, Catch::Contains(c.reason));
}

TEST_CASE("Rejections never echo the number", "[store][phone]") {
  auto phone = normalize_phone("1381234567");
  REQUIRE_FALSE(phone);
  CHECK(phone.error().message.find("1381234567") == std::string::npos);
}

TEST_CASE("Masking keeps the first three and last four digits", "[store][phone]") {
  CHECK(mask_phone("13812345678") == "138****5678");
}

TEST_CASE("The phone hash depends on the key", "[store][phone]") {
  PhoneHasher a("key-a"), b("key-b");
  CHECK(a.hash("13812345678") == a.hash("13812345678"));
  CHECK(a.hash("13812345678") != a.hash("13812345679"));
  CHECK(a.hash("13812345678") != b.hash("13812345678"));
}

#include "drivers/codes/base45.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

using pma::codes::base45_decode;
using pma::codes::base45_encode;

TEST_CASE("Base45 encodes and decodes the RFC 9285 examples", "[codes][base45]") {
  const std::pair<std::string, std::string> vectors[] = {
      {"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"},
      {"", ""},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(base45_encode(plain) == encoded);
    auto decoded = base45_decode(encoded);
    REQUIRE(decoded);
    CHECK(*decoded == plain);
  }
}

TEST_CASE("Base45 round-trips every byte value and odd and even lengths", "[codes][base45]") {
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::mt19937 rng(45);
  for (std::size_t len = 0; len < 300; ++len) {
    std::string data = all.substr(0, len % 257);
    std::shuffle(data.begin(), data.end(), rng);
    const std::string text = base45_encode(data);
    CHECK(text.size() == data.size() / 2 * 3 + data.size() % 2 * 2);
    auto decoded = base45_decode(text);
    REQUIRE(decoded);
    CHECK(*decoded == data);
  }
  // The extremes of each group.
  CHECK(base45_encode(std::string("\xff\xff", 2)) == "FGW");
  CHECK(base45_encode(std::string("\xff", 1)) == "U5");
  CHECK(base45_encode(std::string("\0\0", 2)) == "000");
}

TEST_CASE("Base45 rejects bad text and names the position", "[codes][base45]") {
  SECTION("a character outside the alphabet, lower case included") {
    auto r = base45_decode("BB!");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "base45_invalid");
    CHECK(r.error().message == "invalid character '!' (0x21) at position 2");
    auto lower = base45_decode("BB8bb8");
    REQUIRE_FALSE(lower);
    CHECK(lower.error().message == "invalid character 'b' (0x62) at position 3");
  }
  SECTION("a control byte is shown as hex only") {
    auto r = base45_decode(std::string("B\nB", 3));
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "invalid character 0x0a at position 1");
  }
  SECTION("a dangling single character") {
    auto r = base45_decode("BB8A");
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "base45_invalid");
    CHECK(r.error().message.find("dangling single character at position 3") == 0);
    CHECK_FALSE(base45_decode("A"));
  }
  SECTION("a group of three over 65535 (the RFC's GGW)") {
    auto r = base45_decode("BB8GGW");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("value 65536 out of range at position 3") == 0);
  }
  SECTION("a final pair over 255") {
    auto r = base45_decode("BB8ZZ");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("value 1610 out of range at position 3") == 0);
    CHECK(base45_decode("U5"));  // 255 itself is fine
    CHECK_FALSE(base45_decode("V5"));
  }
  SECTION("positions can be offset for text cut from a longer string") {
    auto r = base45_decode("BB!", 5);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "invalid character '!' (0x21) at position 7");
  }
}

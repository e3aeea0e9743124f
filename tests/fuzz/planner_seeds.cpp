// Seeds of the planner fuzz targets (fuzz_quote_planner, fuzz_refund_planner): baskets a bakery
// rings up, the baskets and refunds of issue 11 that overflowed, and each refusal's edge.
#include <string>
#include <vector>

#include "tests/fuzz/planner_input.h"
#include "tests/fuzz/seeds.h"

namespace pma::fuzz {

namespace {

// Header flags (planner_input.h).
constexpr std::uint8_t kMember = 1, kSilver = 2, kGold = 4, kOnline = 8, kBirthday = 16,
                       kMemberDay = 32;

const char* const kBakery =
    R"({"memberId":"M-FUZZ","lines":[{"sku":"cake","qty":"3","unitPriceFen":"3333",)"
    R"("category":"bakery","discountable":true},{"sku":"tea","qty":"1","unitPriceFen":"12345",)"
    R"("category":"drinks"},{"sku":"bag","qty":"2","unitPriceFen":"50","category":"bags",)"
    R"("discountable":true}],"couponCodes":["W-1"],"pointsToBurn":"1000"})";

const char* const kPiano =
    R"({"memberId":"M-FUZZ","lines":[{"sku":"piano","qty":"1","unitPriceFen":"20000000"}],)"
    R"("pointsToBurn":"1000000"})";

// A binary request (planner_input.h): lines of {flags, qty, unit price}.
struct BinaryLine {
  std::uint8_t flags;
  std::int64_t qty, price;
};
std::string binary_seed(std::uint8_t header_flags, std::uint32_t balance, std::int64_t burn,
                        std::string coupon_letters, std::vector<BinaryLine> lines) {
  std::string out = planner_header(header_flags, balance) + kBinaryRequest + le_bytes(burn, 8);
  out.push_back(static_cast<char>(coupon_letters.size()));
  out += coupon_letters;
  for (const auto& l : lines) {
    const bool wide = (l.flags & 8u) != 0;
    out.push_back(static_cast<char>(l.flags));
    out += le_bytes(l.qty, wide ? 8 : 2) + le_bytes(l.price, wide ? 8 : 4);
  }
  return out;
}

std::string quote_seed(std::uint8_t flags, std::uint32_t balance, const char* json,
                       std::uint8_t burned_today = 0, std::uint16_t spend = 0) {
  return planner_header(flags, balance, burned_today, spend) + json;
}

}  // namespace

std::vector<std::string> quote_planner_seeds() {
  return {
      quote_seed(kMember | kOnline, 5000, kBakery),
      quote_seed(kMember | kGold | kMemberDay | kBirthday, 3'000'000, kPiano),
      quote_seed(kMember | kSilver | kOnline, 900, kBakery, 15, 990),
      quote_seed(kOnline, 0,
                 R"({"lines":[{"sku":"bread","qty":2,"unitPriceFen":1500,"discountable":true}],)"
                 R"("couponCodes":["W-1","W-1","X-2","R-3","E-4","N-5","O-6","M-7"]})"),
      // Issue 11: a million items at 10^9 fen earned 9.5e12 points.
      quote_seed(kMember | kOnline, 0,
                 R"({"memberId":"M-FUZZ","lines":[{"sku":"bar","qty":"1000000",)"
                 R"("unitPriceFen":"1000000000","discountable":true}]})"),
      // Exactly the default cap, on a member day: 1,900,000 points would be earned.
      quote_seed(kMember | kMemberDay | kOnline, 0,
                 R"({"memberId":"M-FUZZ","lines":[{"sku":"bar","qty":"100",)"
                 R"("unitPriceFen":"1000000"}]})"),
      quote_seed(kMember | kOnline, 0xffffffffu,
                 R"({"memberId":"M-FUZZ","lines":[{"sku":"x","qty":"9223372036854775807",)"
                 R"("unitPriceFen":"9223372036854775807"}],"pointsToBurn":"9223372036854775807"})"),
      quote_seed(kMember, 4000,
                 R"({"memberId":"M-FUZZ","lines":[{"sku":"cake","qty":1,"unitPriceFen":-1},)"
                 R"({"sku":"","qty":0,"unitPriceFen":100}],"pointsToBurn":"-1000"})",
                 20),
      binary_seed(kMember | kOnline, 5000, 1000, "WM", {{1, 3, 3333}, {0, 1, 12345}, {3, 2, 50}}),
      binary_seed(kMember | kGold | kMemberDay, 3'000'000, 1'000'000, "",
                  {{8, 1'000'000, 1'000'000'000}, {9, 1, 99'000'000}}),
      binary_seed(kMember | kSilver | kOnline | kBirthday, 2'000'000, 0, "EWR",
                  {{1, 30'000, 3'333}, {3, 1000, 30'000}, {0, 7, 1}}),
  };
}

std::vector<std::string> refund_planner_seeds() {
  const std::string one = planner_header(kMember | kOnline, 0) +
                          R"({"memberId":"M-FUZZ","lines":[{"sku":"cake","qty":1,)"
                          R"("unitPriceFen":10001},{"sku":"tea","qty":1,"unitPriceFen":500}]})";
  return {
      // Issue 11: a whole refund, then a line of INT64_MAX.
      std::string(1, '\0') + one + "\n{}\n" +
          R"({"lines":[{"lineIndex":0,"qty":"9223372036854775807"}]})",
      // Issue 11: lines whose sum overflows, then a real partial refund.
      std::string(1, '\0') + one + "\n" +
          R"({"lines":[{"lineIndex":0,"qty":"9223372036854775807"},{"lineIndex":0,"qty":2},)"
          R"({"lineIndex":1,"qty":1}]})" +
          "\n" + R"({"lines":[{"lineIndex":1,"qty":1}]})",
      // Partial refunds of a bakery basket with a coupon and burned points.
      std::string(1, '\0') + planner_header(kMember | kOnline, 5000) + kBakery + "\n" +
          R"({"lines":[{"lineIndex":0,"qty":1}]})" + "\n" +
          R"({"lines":[{"lineIndex":1,"qty":1},{"lineIndex":0,"qty":1}]})" + "\n" +
          R"({"lines":[{"lineIndex":2,"qty":3}]})" + "\n" +
          R"({"lines":[{"lineIndex":5,"qty":1},{"lineIndex":0,"qty":-1}]})" + "\n{}\n{}",
      // Stored refunded quantities beyond the purchase, and below zero.
      std::string(1, '\x05') + one,
      std::string(1, '\xfe') + planner_header(kMember | kGold | kMemberDay, 3'000'000) + kPiano +
          "\n" + R"({"lines":[{"lineIndex":0,"qty":1}]})",
  };
}

}  // namespace pma::fuzz

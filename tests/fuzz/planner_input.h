// The shared input format of the planner fuzz targets (fuzz_quote_planner, fuzz_refund_planner):
// an 8-byte header that sets up the member, the date and HQ reachability, then a QuoteRequest
// as the POS sends it (JSON), priced with the default rule set, or the same request in a binary
// form that byte mutations do not break (most mutated JSON no longer parses). Coupon codes are
// known by their first letter. Header-only so that a standalone fuzzer build needs no extra
// source.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/json.h"
#include "agent/loyalty/quote.h"
#include "pma/v1/checkout.pb.h"
#include "tests/fuzz/fuzz_check.h"

namespace pma::fuzz {

// Header byte 0 (flags): bit 0 a member, bits 1-2 the tier (0 normal, 1 silver, else gold),
// bit 3 HQ reachable, bit 4 the member's birthday today, bit 5 a member day. Bytes 1-4: the
// balance (little-endian, up to 2^32 - 1 points); byte 5: points burned offline today / 100;
// bytes 6-7: the 12-month spend / 1,000 fen.
inline constexpr std::size_t kPlannerHeaderSize = 8;

// Coupon codes: "W..." a bearer welcome coupon, "M..." one bound to the member, "O..." one bound
// to someone else, "R..." redeemed, "E..." expired, "N..." not valid yet, anything else unknown.
struct PlannerCase {
  v1::QuoteRequest request;
  bool has_member = false;
  loyalty::MemberView member;
  std::vector<v1::BasketLine> lines;
  std::vector<loyalty::CouponView> coupons;
  loyalty::QuoteContext context;

  loyalty::QuoteInput input() const {
    return {.lines = lines,
            .member = has_member ? &member : nullptr,
            .coupons = coupons,
            .points_to_burn = request.points_to_burn()};
  }
};

inline constexpr std::int64_t kPlannerNowMs = 1'779'933'600'000;  // 2026-05-28 02:00 UTC

// The binary form of a QuoteRequest: 'B', then points_to_burn (8 bytes little-endian), a
// coupon count byte (mod 8) and one letter per coupon, then lines to the end of the input,
// each a flag byte (bit 0 discountable, bit 1 the "bags" category, bit 2 an empty sku, bit 3
// full 8-byte qty and price, else 2-byte qty and 4-byte price) and the little-endian numbers.
inline constexpr char kBinaryRequest = 'B';

inline std::int64_t read_le(ByteReader& in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(in.u8()) << (8 * i);
  if (bytes < 8 && (v >> (8 * bytes - 1)) != 0) v |= ~std::uint64_t{0} << (8 * bytes);  // sign
  return static_cast<std::int64_t>(v);
}

inline v1::QuoteRequest decode_binary_request(std::string_view body) {
  ByteReader in(reinterpret_cast<const std::uint8_t*>(body.data()), body.size());
  in.u8();  // kBinaryRequest
  v1::QuoteRequest r;
  r.set_member_id("M-FUZZ");
  r.set_points_to_burn(read_le(in, 8));
  for (int n = in.u8() % 8, i = 0; i < n; ++i) {
    r.add_coupon_codes(std::string(1, static_cast<char>(in.u8())) + "-" + std::to_string(i));
  }
  while (!in.empty() && r.lines_size() < 2000) {
    const std::uint8_t flags = in.u8();
    auto* line = r.add_lines();
    line->set_discountable((flags & 1u) != 0);
    line->set_category((flags & 2u) != 0 ? "bags" : "bakery");
    if ((flags & 4u) == 0) line->set_sku("sku-" + std::to_string(r.lines_size()));
    const bool wide = (flags & 8u) != 0;
    line->set_qty(read_le(in, wide ? 8 : 2));
    line->set_unit_price_fen(read_le(in, wide ? 8 : 4));
  }
  return r;
}

// nullopt when the JSON is not a QuoteRequest (fuzz_api_json covers the parser).
inline std::optional<PlannerCase> decode_planner_case(std::string_view header,
                                                      std::string_view json) {
  PlannerCase c;
  if (!json.empty() && json.front() == kBinaryRequest) {
    c.request = decode_binary_request(json);
  } else if (!api::parse_json(json, c.request)) {
    return std::nullopt;
  }
  auto byte = [&](std::size_t i) -> std::uint32_t {
    return i < header.size() ? static_cast<unsigned char>(header[i]) : 0u;
  };
  const std::uint32_t flags = byte(0);
  c.has_member = (flags & 1u) != 0;
  const std::uint32_t tier = (flags >> 1) & 3u;
  c.member = loyalty::MemberView{
      .member_id = "M-FUZZ",
      .tier = tier == 0   ? v1::TIER_NORMAL
              : tier == 1 ? v1::TIER_SILVER
                          : v1::TIER_GOLD,
      .points = static_cast<std::int64_t>(byte(1) | byte(2) << 8 | byte(3) << 16 | byte(4) << 24),
      .birthday = (flags & 16u) != 0 ? "05-28" : "01-01",
      .spend_12m_fen = static_cast<std::int64_t>(byte(6) | byte(7) << 8) * 1000};
  const int day = (flags & 32u) != 0 ? 8 : 28;
  c.context = loyalty::QuoteContext{.local_date = {2026, 5, day},
                                    .now_ms = kPlannerNowMs,
                                    .hq_online = (flags & 8u) != 0,
                                    .burned_today = static_cast<std::int64_t>(byte(5)) * 100};
  c.lines.assign(c.request.lines().begin(), c.request.lines().end());
  const std::int64_t now_s = kPlannerNowMs / 1000;
  for (const auto& code : c.request.coupon_codes()) {
    loyalty::CouponView v{.code = code,
                          .found = true,
                          .template_id = "welcome",
                          .valid_from_s = now_s - 86400,
                          .valid_until_s = now_s + 86400,
                          .state = "issued"};
    switch (code.empty() ? '\0' : code.front()) {
      case 'W':
        break;
      case 'M':
        v.member_id = "M-FUZZ";
        break;
      case 'O':
        v.member_id = "M-OTHER";
        break;
      case 'R':
        v.state = "redeemed";
        break;
      case 'E':
        v.valid_until_s = now_s;
        break;
      case 'N':
        v.valid_from_s = now_s + 1;
        break;
      default:
        v = loyalty::CouponView{.code = code};
    }
    c.coupons.push_back(std::move(v));
  }
  return c;
}

// The header as bytes, for seeds.
inline std::string planner_header(std::uint8_t flags, std::uint32_t balance,
                                  std::uint8_t burned_today_hundreds = 0,
                                  std::uint16_t spend_thousands = 0) {
  std::string h(kPlannerHeaderSize, '\0');
  h[0] = static_cast<char>(flags);
  for (int i = 0; i < 4; ++i) h[1 + i] = static_cast<char>((balance >> (8 * i)) & 0xff);
  h[5] = static_cast<char>(burned_today_hundreds);
  h[6] = static_cast<char>(spend_thousands & 0xff);
  h[7] = static_cast<char>(spend_thousands >> 8);
  return h;
}

// Little-endian bytes of v, for binary seeds.
inline std::string le_bytes(std::int64_t v, int bytes) {
  std::string out;
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
  }
  return out;
}

}  // namespace pma::fuzz

// The shared input format of the planner fuzz targets (fuzz_quote_planner, fuzz_refund_planner):
// an 8-byte header that sets up the member, the date and HQ reachability, then a QuoteRequest
// as the POS sends it (JSON), priced with the default rule set. Coupon codes are known by their
// first letter. Header-only so that a standalone fuzzer build needs no extra source.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/json.h"
#include "fuzz_check.h"
#include "loyalty/quote.h"
#include "pma/v1/checkout.pb.h"

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

// nullopt when the JSON is not a QuoteRequest (fuzz_api_json covers the parser).
inline std::optional<PlannerCase> decode_planner_case(std::string_view header,
                                                      std::string_view json) {
  PlannerCase c;
  if (!api::parse_json(json, c.request)) return std::nullopt;
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

}  // namespace pma::fuzz

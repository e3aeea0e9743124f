#include "agent/lookup/member_lookup.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "pma/error_codes.h"
#include "pma/phone.h"

namespace pma::lookup {

namespace {

std::string rfc3339(std::int64_t unix_seconds) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

// The answer for one read: the member and how it matched, or nullopt when there is none.
Result<std::optional<pma::v1::LookupResponse>> answer(
    Result<std::optional<store::MemberRecord>> member, std::string_view matched_by) {
  if (!member) return std::unexpected(member.error());
  if (!member->has_value()) return std::optional<pma::v1::LookupResponse>();
  pma::v1::LookupResponse response;
  *response.mutable_member() = to_proto(**member);
  response.set_matched_by(std::string(matched_by));
  return response;
}

Result<pma::v1::LookupResponse> found_or_unknown(
    Result<std::optional<pma::v1::LookupResponse>> found, std::string_view what) {
  if (!found) return std::unexpected(found.error());
  if (!*found) return fail(err::unknown_member, fmt::format("no member with this {}", what));
  return std::move(**found);
}

}  // namespace

pma::v1::Member to_proto(const store::MemberRecord& m) {
  pma::v1::Member out;
  out.set_member_id(m.member_id);
  out.set_card_no(m.card_no);
  out.set_phone_masked(m.phone_masked);
  out.set_name(m.name);
  out.set_birthday(m.birthday);
  out.set_tier(pma::v1::Tier_IsValid(m.tier) ? static_cast<pma::v1::Tier>(m.tier)
                                             : pma::v1::TIER_UNSPECIFIED);
  out.set_points(m.points);
  out.set_hq_version(m.hq_version);
  out.set_marketing_consent(m.marketing_consent);
  out.set_segment(m.segment);
  for (const auto& tag : m.tags) out.add_tags(tag);
  for (const auto& c : m.coupons) {
    auto* coupon = out.add_coupons();
    coupon->set_code(c.code);
    coupon->set_template_id(c.template_id);
    coupon->set_title(c.title);
    coupon->set_valid_until(rfc3339(c.valid_until));
  }
  return out;
}

MemberLookup::MemberLookup(store::MemberStore& members, codes::MemberQrVerifier& verifier,
                           codes::CodeRules rules)
    : members_(members), verifier_(verifier), rules_(std::move(rules)) {}

Result<codes::MemberCode> MemberLookup::classify(std::string_view scanned) const {
  return codes::classify_code(scanned, rules_);
}

codes::MemberCode MemberLookup::classify_typed(std::string_view code) const {
  auto classified = classify(code);
  if (classified && classified->kind != codes::CodeKind::coupon) return std::move(*classified);
  return codes::MemberCode{codes::CodeKind::card_number, std::string(trim(code))};
}

Result<pma::v1::LookupResponse> MemberLookup::resolve(const codes::MemberCode& code,
                                                      std::int64_t now) {
  if (trim(code.value).empty()) return fail(err::invalid_request, "the code is empty");
  switch (code.kind) {
    case codes::CodeKind::member_qr: {
      PMA_TRY_ASSIGN(auto verified, verifier_.verify(code.value, now));
      return found_or_unknown(answer(members_.find_by_id(verified.member_id, now), "member_qr"),
                              "member code");
    }
    case codes::CodeKind::phone: {
      PMA_TRY_ASSIGN(auto phone, pma::normalize_phone(code.value));
      return found_or_unknown(answer(members_.find_by_phone(phone, now), "phone"), "phone number");
    }
    case codes::CodeKind::card_number: {
      const std::string_view value = trim(code.value);
      auto by_card = answer(members_.find_by_card(value, now), "card_no");
      if (!by_card || *by_card) return found_or_unknown(std::move(by_card), "card number");
      return found_or_unknown(answer(members_.find_by_id(value, now), "member_id"),
                              "card number or id");
    }
    case codes::CodeKind::coupon:
      break;
  }
  return fail(err::invalid_request, "a coupon code names no member; add it to the basket");
}

Result<pma::v1::LookupResponse> MemberLookup::by_id(std::string_view member_id, std::int64_t now) {
  return found_or_unknown(answer(members_.find_by_id(member_id, now), "member_id"), "member id");
}

}  // namespace pma::lookup

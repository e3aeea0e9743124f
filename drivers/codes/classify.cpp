#include "drivers/codes/classify.h"

#include <fmt/format.h>

#include <algorithm>

#include "drivers/codes/member_qr.h"
#include "pma/phone.h"

namespace pma::codes {
namespace {

constexpr std::size_t kMaxRuleLength = 64;
// Longest text worth classifying: a member QR.
constexpr std::size_t kMaxScanLength = kMaxMemberQrLength;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper_alnum(char c) { return is_digit(c) || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool all_of(std::string_view s, bool (*pred)(char)) {
  return std::all_of(s.begin(), s.end(), pred);
}

bool is_id_char(char c) { return is_upper_alnum(c) || (c >= 'a' && c <= 'z') || c == '_'; }

// A welcome coupon a till minted at registration: "W-" then store, terminal, [install id,] n,
// joined by '-' (agent/checkout/registration.cpp; store and terminal ids are
// [A-Za-z0-9_], the install id hex, n the outbox seq).
bool is_welcome_coupon(std::string_view code) {
  if (!code.starts_with(kWelcomeCouponPrefix)) return false;
  std::string_view rest = code.substr(kWelcomeCouponPrefix.size());
  std::size_t parts = 0;
  std::string_view last;
  while (true) {
    const std::size_t dash = rest.find('-');
    last = rest.substr(0, dash);
    if (last.empty() || !all_of(last, is_id_char)) return false;
    ++parts;
    if (dash == std::string_view::npos) break;
    rest.remove_prefix(dash + 1);
  }
  return (parts == 3 || parts == 4) && all_of(last, is_digit);
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

std::unexpected<Error> unrecognised(std::string_view reason) {
  return fail("code_unrecognised", fmt::format("Code not recognised ({})", reason));
}

Status check_range(std::string_view key, std::size_t min, std::size_t max) {
  if (min == 0 || min > max || max > kMaxRuleLength) {
    return fail("config_invalid",
                fmt::format("[codes] {}_min_length / {}_max_length must satisfy 1 <= min <= max "
                            "<= {}; got {}..{}",
                            key, key, kMaxRuleLength, min, max));
  }
  return {};
}

Status check_prefix(std::string_view key, std::string_view prefix) {
  if (prefix.size() > kMaxRuleLength || !printable_ascii(prefix)) {
    return fail("config_invalid", fmt::format("[codes] {} must be at most {} printable ASCII "
                                              "characters without spaces",
                                              key, kMaxRuleLength));
  }
  if (!prefix.empty() &&
      (prefix.starts_with(kMemberQrPrefix) || kMemberQrPrefix.starts_with(prefix))) {
    return fail("config_invalid", fmt::format("[codes] {} \"{}\" clashes with the member QR "
                                              "prefix \"{}\"",
                                              key, prefix, kMemberQrPrefix));
  }
  return {};
}

}  // namespace

std::string_view to_string(CodeKind kind) {
  switch (kind) {
    case CodeKind::card_number:
      return "card_number";
    case CodeKind::phone:
      return "phone";
    case CodeKind::coupon:
      return "coupon";
    case CodeKind::member_qr:
      return "member_qr";
  }
  return "unknown";
}

Status CodeRules::validate() const {
  if (auto s = check_range("card", card_min_length, card_max_length); !s) return s;
  if (auto s = check_range("coupon", coupon_min_length, coupon_max_length); !s) return s;
  if (auto s = check_prefix("card_prefix", card_prefix); !s) return s;
  if (coupon_prefix.empty()) {
    return fail("config_invalid", "[codes] coupon_prefix must not be empty");
  }
  if (auto s = check_prefix("coupon_prefix", coupon_prefix); !s) return s;
  if (!card_prefix.empty() &&
      (card_prefix.starts_with(coupon_prefix) || coupon_prefix.starts_with(card_prefix))) {
    return fail("config_invalid",
                "[codes] card_prefix and coupon_prefix must not be prefixes of each other");
  }
  if (card_prefix.starts_with(kWelcomeCouponPrefix)) {
    return fail("config_invalid", fmt::format("[codes] card_prefix must not start with \"{}\", "
                                              "the prefix of the tills' welcome coupons",
                                              kWelcomeCouponPrefix));
  }
  return {};
}

Result<MemberCode> classify_code(std::string_view scanned, const CodeRules& rules) {
  const std::string_view code = trim(scanned);
  if (code.empty()) return unrecognised("empty");
  if (code.size() > kMaxScanLength) return unrecognised(fmt::format("{} characters", code.size()));

  if (code.starts_with(kMemberQrPrefix)) return MemberCode{CodeKind::member_qr, std::string(code)};

  if (code.starts_with(rules.coupon_prefix)) {
    const std::string_view body = code.substr(rules.coupon_prefix.size());
    if (body.size() < rules.coupon_min_length || body.size() > rules.coupon_max_length ||
        !all_of(body, is_upper_alnum)) {
      return unrecognised(fmt::format("a coupon code is {} then {}-{} of A-Z 0-9",
                                      rules.coupon_prefix, rules.coupon_min_length,
                                      rules.coupon_max_length));
    }
    return MemberCode{CodeKind::coupon, std::string(code)};
  }
  if (is_welcome_coupon(code)) return MemberCode{CodeKind::coupon, std::string(code)};

  const bool card_prefixed = code.starts_with(rules.card_prefix);
  const std::string_view body = card_prefixed ? code.substr(rules.card_prefix.size()) : code;
  const bool chars_ok =
      rules.card_digits_only ? all_of(body, is_digit) : all_of(body, is_upper_alnum);
  const bool card_shaped = card_prefixed && chars_ok && body.size() >= rules.card_min_length &&
                           body.size() <= rules.card_max_length;

  // A phone is whatever the store accepts as one (pma/phone.h), so a scanned number is never
  // classified as a phone that the lookup then refuses, nor the other way round. Except a bare
  // run of digits "86..." that is also a valid card number: scanners read cards, and such a
  // number was a card before the lookup learnt "86 138..." (write "+86" to mean a phone).
  const bool bare_86 = code.starts_with("86") && all_of(code, is_digit);
  if (rules.phone_enabled && !(bare_86 && card_shaped) && pma::normalize_phone(code).has_value()) {
    return MemberCode{CodeKind::phone, std::string(code)};
  }

  if (card_prefixed) {
    if (card_shaped) return MemberCode{CodeKind::card_number, std::string(code)};
    if (chars_ok) {
      return unrecognised(fmt::format("{} characters; a card number has {}-{}", body.size(),
                                      rules.card_min_length, rules.card_max_length));
    }
  }
  return unrecognised(
      fmt::format("{} characters; not a card, phone, coupon or member code", code.size()));
}

Status check_card_number(std::string_view card_no, const CodeRules& rules) {
  if (card_no.empty()) return {};
  auto code = classify_code(card_no, rules);
  if (code && code->kind == CodeKind::card_number && code->value == card_no) return {};
  std::string shape = fmt::format(
      "{}{}-{} {}", rules.card_prefix.empty() ? "" : "\"" + rules.card_prefix + "\" then ",
      rules.card_min_length, rules.card_max_length,
      rules.card_digits_only ? "digits" : "characters of A-Z 0-9");
  if (code && code->value == card_no) {
    return fail("code_unrecognised",
                fmt::format("a scanner would read this as a {}, not a card; a card number here "
                            "is {} ([codes])",
                            to_string(code->kind), shape));
  }
  return fail("code_unrecognised",
              fmt::format("no scanner would read this as a card; a card number here is {} "
                          "([codes])",
                          shape));
}

}  // namespace pma::codes

// What a scanned or typed string is: member card, phone number, coupon code or dynamic member
// QR. Pure: classify_code() neither verifies signatures nor logs; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::codes {

enum class CodeKind { card_number, phone, coupon, member_qr };

// Welcome coupons minted by a till at registration: "W-<store>-<terminal>-<install id>-<n>"
// (or "W-<store>-<terminal>-<n>", before install ids); classified as coupons whatever
// coupon_prefix is.
inline constexpr std::string_view kWelcomeCouponPrefix = "W-";
// Coupons HQ issues (memberhq coupon issue): "H-" then 10 to 18 digits (sync/hq/programme.h);
// classified as coupons whatever coupon_prefix is.
inline constexpr std::string_view kHqCouponPrefix = "H-";

// Whether code has the form of an HQ coupon ("H-" and 10-18 digits).
bool is_hq_coupon(std::string_view code);

// "card_number", "phone", "coupon", "member_qr".
std::string_view to_string(CodeKind kind);

struct MemberCode {
  CodeKind kind = CodeKind::card_number;
  // card_number, coupon: the code as scanned (surrounding whitespace removed, prefix kept).
  // phone: the raw input, unnormalised; normalise and hash it, never log it.
  // member_qr: the whole text, for MemberQrVerifier.
  std::string value;
};

// The chain's code shapes. Config section [codes].
struct CodeRules {
  // card_prefix = "": characters every card number starts with (e.g. "M"); empty for none.
  std::string card_prefix;
  // card_min_length = 8, card_max_length = 20: length of the part after card_prefix.
  std::size_t card_min_length = 8;
  std::size_t card_max_length = 20;
  // card_digits_only = true: otherwise A-Z are allowed after the prefix too.
  bool card_digits_only = true;
  // phone_enabled = true: recognise mainland mobile numbers (typed or on a paper card).
  bool phone_enabled = true;
  // coupon_prefix = "CPN-", followed by coupon_min_length..coupon_max_length of [A-Z0-9].
  std::string coupon_prefix = "CPN-";
  std::size_t coupon_min_length = 4;
  std::size_t coupon_max_length = 32;

  // Fails with "config_invalid" naming the [codes] key: inverted or zero ranges, lengths over
  // 64, prefixes that are empty (coupon), not printable ASCII, or start like a member QR; a
  // card_prefix starting "W-" (welcome coupons) or "H-" (HQ coupons).
  Status validate() const;
};

// Order: member QR prefix ("PMA1:"), then coupon prefix, then a welcome coupon, then an HQ
// coupon, then phone shape, then card.
// Phone: what pma::normalize_phone accepts (11 digits starting 13..19, optionally after +86,
// 0086 or 86, with spaces, tabs, dashes or parentheses between the digits). Fails with
// "code_unrecognised" and a short reason that never echoes the input (it may be a phone number).
Result<MemberCode> classify_code(std::string_view scanned, const CodeRules& rules = {});

// For a card number given at registration or import: "" (no card) or a number classify_code
// reads as a card_number under `rules`, exactly as written (no surrounding spaces), so that the
// member can later be found by scanning it. Error "code_unrecognised" saying why (a phone
// number, a coupon, or what the rules' cards look like), never echoing the input.
Status check_card_number(std::string_view card_no, const CodeRules& rules);

}  // namespace pma::codes

#include "pma/phone.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace pma {

bool is_phone_separator(char c) {
  // Tabs and parentheses: "(+86) 138 ..." as some forms print it, pasted from spreadsheets.
  return c == ' ' || c == '-' || c == '\t' || c == '(' || c == ')';
}

Result<std::string> normalize_phone(std::string_view input) {
  std::string digits;
  bool plus = false;
  for (std::size_t i = 0; i < input.size(); ++i) {
    const char c = input[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (is_phone_separator(c)) {
      continue;
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else {
      return fail(
          "invalid_phone",
          fmt::format("phone number contains '{}' at position {}; only digits, spaces, "
                      "dashes and a leading +86 are accepted",
                      (c >= 0x20 && c < 0x7f) ? std::string(1, c) : std::string("?"), i + 1));
    }
  }
  if (digits.empty()) return fail("invalid_phone", "phone number is empty");
  if (plus) {
    if (!digits.starts_with("86")) {
      return fail("invalid_phone", "only mainland China (+86) mobile numbers are accepted");
    }
    digits.erase(0, 2);
  } else if (digits.size() == 15 && digits.starts_with("0086")) {
    digits.erase(0, 4);
  } else if (digits.size() == 13 && digits.starts_with("86")) {
    digits.erase(0, 2);
  }
  if (digits.size() != 11) {
    return fail("invalid_phone", fmt::format("phone number has {} digits; a mainland mobile "
                                             "number has 11",
                                             digits.size()));
  }
  if (digits[0] != '1' || digits[1] < '3' || digits[1] > '9') {
    return fail("invalid_phone", fmt::format("phone number starts with {}; mainland mobile "
                                             "numbers start with 13 to 19",
                                             digits.substr(0, 2)));
  }
  return digits;
}

std::string mask_phone(std::string_view normalized) {
  if (normalized.size() != 11) return std::string(normalized.size(), '*');
  return fmt::format("{}****{}", normalized.substr(0, 3), normalized.substr(7));
}

PhoneHash PhoneHasher::hash(std::string_view normalized) const {
  PhoneHash out{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(), out.data(),
       &length);
  return out;
}

}  // namespace pma

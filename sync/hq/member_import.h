// Parsing a member base for `memberhq import`: CSV with a header row, or JSON lines, with the
// fields member_id, card_no, phone, name, birthday, tier, points. Phones are normalised and
// hashed here (HMAC-SHA256 under the chain's phone-hash key, as the tills do) and only the
// hash and the masked form are kept. Pure apart from the key it holds; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hq/sink.h"

namespace pma::hq {

struct ImportError {
  std::size_t line = 0;
  std::string message;  // never contains the phone number
};

struct ImportParse {
  std::vector<ImportedMember> members;
  std::vector<ImportError> errors;
};

// format: "csv" or "jsonl". phone_key: the chain's phone-hash key.
ImportParse parse_member_base(std::string_view text, std::string_view format,
                              const std::string& phone_key);

// "13812345678" from "+86 138-1234-5678" and the like; "invalid_phone" otherwise.
Result<std::string> normalize_phone(std::string_view input);

std::vector<std::uint8_t> phone_hash(const std::string& key, std::string_view normalized);

}  // namespace pma::hq

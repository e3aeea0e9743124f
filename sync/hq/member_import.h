// Parsing a member base for `memberhq import`: CSV with a header row, or JSON lines, with the
// fields member_id, card_no, phone, name, birthday, tier, points. Phones are normalised and
// hashed here by pma/phone.h, the tills' own rule (HMAC-SHA256 under the chain's phone-hash key)
// and only the hash and the masked form are kept. Pure apart from the key it holds; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/hq/sink.h"

namespace pma::hq {

struct ImportError {
  std::size_t line = 0;
  std::string message;  // never contains the phone number
};

struct ImportParse {
  std::vector<ImportedMember> members;
  std::vector<ImportError> errors;
  // The file as a whole was refused ("import_bad_header": a CSV without a proper header); then
  // members is empty.
  std::optional<Error> file_error;
};

// format: "csv" or "jsonl". phone_key: the chain's phone-hash key. The reader and the row rule
// are pma/member_import.h (memberctl import's too).
ImportParse parse_member_base(std::string_view text, std::string_view format,
                              const std::string& phone_key);

}  // namespace pma::hq

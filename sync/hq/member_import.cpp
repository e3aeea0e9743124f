#include "sync/hq/member_import.h"

#include <sstream>

#include "pma/member_import.h"
#include "pma/phone.h"

namespace pma::hq {

ImportParse parse_member_base(std::string_view text, std::string_view format,
                              const std::string& phone_key) {
  // The reader and the row rule are the tills' too (pma/member_import.h), and the phone hash
  // is theirs byte for byte (pma/phone.h): a member imported here is found by phone at a till.
  ImportParse out;
  std::istringstream in{std::string(text)};
  pma::MemberImportReader reader(
      in, format == "jsonl" ? pma::ImportFormat::json_lines : pma::ImportFormat::csv);
  const pma::PhoneHasher hasher(phone_key);
  for (;;) {
    auto record = reader.next();
    if (!record) {
      out.file_error = record.error();
      out.members.clear();
      return out;
    }
    if (!*record) return out;
    const std::size_t line = static_cast<std::size_t>((*record)->line);
    if (!(*record)->row) {
      out.errors.push_back({line, (*record)->row.error().message});
      continue;
    }
    auto row = pma::validate_import_row(*(*record)->row, pma::ContactRule::optional);
    if (!row) {
      out.errors.push_back({line, row.error().message});
      continue;
    }
    ImportedMember m{row->member_id, row->card_no,  {},        "",
                     row->name,      row->birthday, row->tier, row->points};
    if (!row->phone.empty()) {
      const pma::PhoneHash hash = hasher.hash(row->phone);
      m.phone_hash.assign(hash.begin(), hash.end());
      m.phone_masked = pma::mask_phone(row->phone);
    }
    out.members.push_back(std::move(m));
  }
}

}  // namespace pma::hq

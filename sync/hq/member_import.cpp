#include "hq/member_import.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>

#include "pma/utf8.h"
#include "pma/v1/member_import.pb.h"

namespace pma::hq {

namespace {

std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

Result<ImportedMember> finish(const pma::v1::MemberImportRow& row, const std::string& key) {
  if (row.member_id().empty()) return fail("import_row", "member_id is empty");
  const std::pair<const char*, const std::string*> texts[] = {{"member_id", &row.member_id()},
                                                              {"card_no", &row.card_no()},
                                                              {"name", &row.name()},
                                                              {"birthday", &row.birthday()}};
  for (const auto& [field, value] : texts) {
    // These fields go into proto3 strings on member pages, which a till refuses otherwise.
    if (!pma::is_valid_utf8(*value))
      return fail("import_row", fmt::format("{} is not UTF-8 text", field));
  }
  ImportedMember m{row.member_id(), row.card_no(),  {}, "",
                   row.name(),      row.birthday(), 1,  row.points()};
  const std::string& tier = row.tier();
  if (tier == "silver" || tier == "2") {
    m.tier = 2;
  } else if (tier == "gold" || tier == "3") {
    m.tier = 3;
  } else if (!tier.empty() && tier != "normal" && tier != "1") {
    return fail("import_row", "tier must be normal, silver or gold");
  }
  if (!row.phone().empty()) {
    auto phone = normalize_phone(row.phone());
    if (!phone) return std::unexpected(phone.error());
    m.phone_hash = phone_hash(key, *phone);
    m.phone_masked = phone->substr(0, 3) + "****" + phone->substr(7);
  }
  return m;
}

}  // namespace

Result<std::string> normalize_phone(std::string_view input) {
  std::string digits;
  for (char c : input) {
    if (c >= '0' && c <= '9') {
      digits += c;
    } else if (c != ' ' && c != '-' && c != '+' && c != '(' && c != ')') {
      return fail("invalid_phone", "phone number contains characters other than digits");
    }
  }
  if (digits.size() == 15 && digits.starts_with("0086")) digits.erase(0, 4);
  if (digits.size() == 13 && digits.starts_with("86")) digits.erase(0, 2);
  if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3') {
    return fail("invalid_phone", fmt::format("phone number has {} digits or does not start with "
                                             "13-19; a mainland mobile number has 11",
                                             digits.size()));
  }
  return digits;
}

std::vector<std::uint8_t> phone_hash(const std::string& key, std::string_view normalized) {
  std::vector<std::uint8_t> out(32);
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(normalized.data()), normalized.size(), out.data(),
       &length);
  return out;
}

ImportParse parse_member_base(std::string_view text, std::string_view format,
                              const std::string& phone_key) {
  ImportParse out;
  std::vector<std::string> header;
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    pma::v1::MemberImportRow row;
    if (format == "jsonl") {
      auto status = google::protobuf::util::JsonStringToMessage(std::string(line), &row);
      if (!status.ok()) {
        out.errors.push_back({line_no, "not a JSON member object"});
        continue;
      }
    } else {
      auto fields = split_csv(line);
      if (header.empty()) {
        header = fields;
        continue;
      }
      std::string error;
      for (std::size_t i = 0; i < header.size() && i < fields.size(); ++i) {
        const std::string& name = header[i];
        const std::string& value = fields[i];
        if (name == "member_id")
          row.set_member_id(value);
        else if (name == "card_no")
          row.set_card_no(value);
        else if (name == "phone")
          row.set_phone(value);
        else if (name == "name")
          row.set_name(value);
        else if (name == "birthday")
          row.set_birthday(value);
        else if (name == "tier")
          row.set_tier(value);
        else if (name == "points") {
          std::int64_t number = 0;
          auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
          if (!value.empty() && (ec != std::errc() || ptr != value.data() + value.size())) {
            error = fmt::format("{} is not an integer", name);
          }
          row.set_points(number);
        }
      }
      if (!error.empty()) {
        out.errors.push_back({line_no, error});
        continue;
      }
    }
    auto member = finish(row, phone_key);
    if (!member) {
      out.errors.push_back({line_no, member.error().message});
      continue;
    }
    out.members.push_back(std::move(*member));
  }
  return out;
}

}  // namespace pma::hq

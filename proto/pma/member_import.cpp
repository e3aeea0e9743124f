#include "pma/member_import.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <algorithm>
#include <charconv>

#include "pma/phone.h"
#include "pma/utf8.h"

namespace pma {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Messages may quote what the file says, but never a run of digits a phone could hide in.
bool has_digit_run(std::string_view text, std::size_t run) {
  std::size_t n = 0;
  for (char c : text) {
    n = (c >= '0' && c <= '9') ? n + 1 : 0;
    if (n >= run) return true;
  }
  return false;
}

std::string quoted_for_message(std::string_view text) {
  text = text.substr(0, 32);
  if (has_digit_run(text, 5) || !is_valid_utf8(text)) return "...";
  return std::string(text);
}

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

bool valid_id(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
           c == '_';
  });
}

// Code points of valid UTF-8 text.
std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) >> 6) != 2; }));
}

Status check_birthday(std::string_view b) {
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (b.size() != 5 || b[2] != '-') return fail("bad_row", "birthday must be MM-DD or YYYY-MM-DD");
  for (int i : {0, 1, 3, 4}) {
    if (b[i] < '0' || b[i] > '9') return fail("bad_row", "birthday must be MM-DD or YYYY-MM-DD");
  }
  const int month = (b[0] - '0') * 10 + (b[1] - '0');
  const int day = (b[3] - '0') * 10 + (b[4] - '0');
  if (month < 1 || month > 12) {
    return fail("bad_row", fmt::format("birthday month {} is not 1-12", month));
  }
  if (day < 1 || day > kDays[month - 1]) {
    return fail("bad_row", fmt::format("birthday {} does not exist", b));
  }
  return {};
}

enum class CsvEnd { complete, open_quote };

// The RFC 4180 state machine over one record (line breaks inside quotes included).
CsvEnd parse_csv(std::string_view record, std::vector<std::string>& fields, std::string& error) {
  fields.assign(1, std::string());
  error.clear();
  bool quoted = false, at_start = true, after_close = false;
  for (std::size_t i = 0; i < record.size(); ++i) {
    const char c = record[i];
    if (quoted) {
      if (c != '"') {
        fields.back().push_back(c);
      } else if (i + 1 < record.size() && record[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else {
        quoted = false;
        after_close = true;
      }
      continue;
    }
    if (c == ',') {
      fields.emplace_back();
      at_start = true;
      after_close = false;
      continue;
    }
    if (after_close) {
      if (error.empty()) {
        error = fmt::format("field {} has text after its closing quote", fields.size());
      }
    } else if (c == '"' && at_start) {
      quoted = true;
      at_start = false;
      continue;
    }
    at_start = false;
    fields.back().push_back(c);
  }
  return quoted ? CsvEnd::open_quote : CsvEnd::complete;
}

void set_column(v1::MemberImportRow& row, std::size_t column, const std::string& value) {
  switch (column) {
    case 0:
      return row.set_member_id(value);
    case 1:
      return row.set_card_no(value);
    case 2:
      return row.set_phone(value);
    case 3:
      return row.set_name(value);
    case 4:
      return row.set_birthday(value);
    case 5:
      return row.set_tier(value);
  }
}

}  // namespace

Result<ImportedRow> validate_import_row(const v1::MemberImportRow& row, ContactRule contact) {
  // Text travels in proto3 strings (member pages, the till's cache): refused unless UTF-8.
  const std::pair<const char*, const std::string*> texts[] = {{"member_id", &row.member_id()},
                                                              {"card_no", &row.card_no()},
                                                              {"name", &row.name()},
                                                              {"birthday", &row.birthday()}};
  for (const auto& [field, value] : texts) {
    if (!is_valid_utf8(*value)) return fail("bad_row", fmt::format("{} is not UTF-8 text", field));
  }
  ImportedRow m;
  if (!valid_id(row.member_id(), 64)) {
    return fail("bad_row", "member_id must be 1-64 letters, digits, '-' or '_'");
  }
  m.member_id = row.member_id();
  if (!row.card_no().empty() && !valid_id(row.card_no(), 32)) {
    return fail("bad_row", "card_no must be 1-32 letters, digits, '-' or '_'");
  }
  m.card_no = row.card_no();
  if (!row.phone().empty()) {
    auto normalized = normalize_phone(row.phone());
    if (!normalized) return fail("bad_row", normalized.error().message);
    m.phone = std::move(*normalized);
  }
  if (contact == ContactRule::card_or_phone && m.card_no.empty() && m.phone.empty()) {
    return fail("bad_row", "a member needs a card_no or a phone");
  }
  if (utf8_length(row.name()) > 32) return fail("bad_row", "name is longer than 32 characters");
  m.name = row.name();
  // A full date YYYY-MM-DD (what most exports hold) keeps only its day: the year is PII the
  // birthday bonus and campaigns do not need.
  std::string_view birthday = row.birthday();
  if (birthday.size() == 10 && birthday[4] == '-' &&
      std::all_of(birthday.begin(), birthday.begin() + 4,
                  [](char c) { return c >= '0' && c <= '9'; })) {
    birthday.remove_prefix(5);
  }
  if (!birthday.empty()) PMA_TRY(check_birthday(birthday));
  m.birthday = std::string(birthday);
  const std::string& tier = row.tier();
  if (tier.empty() || tier == "normal" || tier == "1") {
    m.tier = 1;
  } else if (tier == "silver" || tier == "2") {
    m.tier = 2;
  } else if (tier == "gold" || tier == "3") {
    m.tier = 3;
  } else {
    return fail("bad_row", fmt::format("tier '{}' is not normal, silver or gold",
                                       quoted_for_message(tier.substr(0, 16))));
  }
  if (row.points() < 0) return fail("bad_row", "points must not be negative");
  m.points = row.points();
  return m;
}

Result<std::vector<std::string>> split_csv_record(std::string_view record) {
  if (record.ends_with('\r')) record.remove_suffix(1);
  std::vector<std::string> fields;
  std::string error;
  if (parse_csv(record, fields, error) == CsvEnd::open_quote) {
    return fail("bad_row", "a quoted field is never closed");
  }
  if (!error.empty()) return fail("bad_row", error);
  return fields;
}

bool MemberImportReader::read_line(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_no_;
  bytes_ += line.size() + (in_.eof() ? 0 : 1);
  if (line_no_ == 1 && line.starts_with(kBom)) line.erase(0, kBom.size());  // Excel's BOM
  if (line.ends_with('\r')) line.pop_back();
  return true;
}

std::optional<Result<std::vector<std::string>>> MemberImportReader::next_csv(std::int64_t& line) {
  std::string record;
  do {
    if (!read_line(record)) return std::nullopt;
  } while (blank(record));
  line = line_no_;
  std::vector<std::string> fields;
  std::string error;
  std::string more;
  while (parse_csv(record, fields, error) == CsvEnd::open_quote) {
    if (!read_line(more)) {
      return Result<std::vector<std::string>>(
          fail("bad_row", fmt::format("the quoted field {} opened on line {} is never closed",
                                      fields.size(), line)));
    }
    record += '\n';
    record += more;
  }
  if (!error.empty()) return Result<std::vector<std::string>>(fail("bad_row", error));
  return Result<std::vector<std::string>>(std::move(fields));
}

Status MemberImportReader::read_header() {
  std::int64_t line = 0;
  auto header = next_csv(line);
  if (!header) return fail("import_bad_header", "the CSV file is empty; it needs a header row");
  if (!*header) {
    return fail("import_bad_header", fmt::format("line {}: {}", line, header->error().message));
  }
  column_of_.fill(-1);
  for (std::size_t i = 0; i < (*header)->size(); ++i) {
    const std::string& name = (**header)[i];
    const auto* it = std::find(kImportColumns.begin(), kImportColumns.end(), name);
    if (it == kImportColumns.end()) {
      return fail("import_bad_header",
                  fmt::format("line {}: unknown column '{}'", line, quoted_for_message(name)));
    }
    int& column = column_of_[static_cast<std::size_t>(it - kImportColumns.begin())];
    if (column >= 0) {
      return fail("import_bad_header",
                  fmt::format("line {}: column '{}' appears twice", line, name));
    }
    column = static_cast<int>(i);
  }
  if (column_of_[0] < 0) {
    return fail("import_bad_header",
                fmt::format("line {}: the CSV header must name the columns (member_id, card_no, "
                            "phone, name, birthday, tier, points); 'member_id' is missing",
                            line));
  }
  header_size_ = (*header)->size();
  header_read_ = true;
  return {};
}

bool MemberImportReader::names_column(std::string_view column) const {
  if (!header_read_) return false;
  const auto* it = std::find(kImportColumns.begin(), kImportColumns.end(), column);
  return it != kImportColumns.end() &&
         column_of_[static_cast<std::size_t>(it - kImportColumns.begin())] >= 0;
}

Result<std::optional<ImportRecord>> MemberImportReader::next() {
  if (format_ == ImportFormat::json_lines) {
    std::string line;
    do {
      if (!read_line(line)) return std::nullopt;
    } while (blank(line));
    ImportRecord record{line_no_, v1::MemberImportRow()};
    auto status = google::protobuf::util::JsonStringToMessage(line, &*record.row);
    if (!status.ok()) {
      // The parser's reason names the field ("colour"), unless it could echo a number.
      const std::string reason(status.message().substr(0, 120));
      record.row =
          fail("bad_row", has_digit_run(reason, 5) ? std::string("not a valid member JSON object")
                                                   : "not a valid member JSON object: " + reason);
    }
    return record;
  }
  if (!header_read_) PMA_TRY(read_header());
  std::int64_t line = 0;
  auto fields = next_csv(line);
  if (!fields) return std::nullopt;
  if (!*fields) return ImportRecord{line, std::unexpected(fields->error())};
  const std::vector<std::string>& f = **fields;
  if (f.size() != header_size_) {
    return ImportRecord{line, fail("bad_row", fmt::format("has {} fields, the header has {}",
                                                          f.size(), header_size_))};
  }
  v1::MemberImportRow row;
  for (std::size_t k = 0; k + 1 < kImportColumns.size(); ++k) {
    if (column_of_[k] >= 0) set_column(row, k, f[static_cast<std::size_t>(column_of_[k])]);
  }
  if (const int points = column_of_[6]; points >= 0) {
    const std::string& value = f[static_cast<std::size_t>(points)];
    std::int64_t number = 0;
    if (!value.empty()) {
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), number);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return ImportRecord{line, fail("bad_row", "points is not a whole number")};
      }
    }
    row.set_points(number);
  }
  return ImportRecord{line, std::move(row)};
}

}  // namespace pma

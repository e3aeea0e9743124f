#include "admin/member_import.h"

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>

#include "pma/v1/member_import.pb.h"
#include "store/phone.h"

namespace pma::admin {

namespace {

bool valid_id(std::string_view s, std::size_t max) {
  if (s.empty() || s.size() > max) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' ||
          c == '_')) {
      return false;
    }
  }
  return true;
}

// Counts UTF-8 code points, rejecting malformed sequences.
std::optional<std::size_t> utf8_length(std::string_view s) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return std::nullopt;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return std::nullopt;
    }
    i += n;
    ++count;
  }
  return count;
}

Status check_birthday(std::string_view b) {
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (b.size() != 5 || b[2] != '-') return fail("bad_row", "birthday must be MM-DD");
  for (int i : {0, 1, 3, 4}) {
    if (b[i] < '0' || b[i] > '9') return fail("bad_row", "birthday must be MM-DD");
  }
  int month = (b[0] - '0') * 10 + (b[1] - '0');
  int day = (b[3] - '0') * 10 + (b[4] - '0');
  if (month < 1 || month > 12)
    return fail("bad_row", fmt::format("birthday month {} is not 1-12", month));
  if (day < 1 || day > kDays[month - 1]) {
    return fail("bad_row", fmt::format("birthday {} does not exist", b));
  }
  return {};
}

}  // namespace

Result<store::MemberUpsert> validate_row(const std::string& member_id, const std::string& card_no,
                                         const std::string& phone, const std::string& name,
                                         const std::string& birthday, const std::string& tier,
                                         std::int64_t points) {
  store::MemberUpsert m;
  if (!valid_id(member_id, 64)) {
    return fail("bad_row", "member_id must be 1-64 letters, digits, '-' or '_'");
  }
  m.member_id = member_id;
  if (!card_no.empty() && !valid_id(card_no, 32)) {
    return fail("bad_row", "card_no must be 1-32 letters, digits, '-' or '_'");
  }
  m.card_no = card_no;
  if (!phone.empty()) {
    auto normalized = store::normalize_phone(phone);
    if (!normalized) return fail("bad_row", normalized.error().message);
    m.phone = *normalized;
  }
  if (card_no.empty() && phone.empty()) {
    return fail("bad_row", "a member needs a card_no or a phone");
  }
  auto length = utf8_length(name);
  if (!length) return fail("bad_row", "name is not valid UTF-8");
  if (*length > 32) return fail("bad_row", "name is longer than 32 characters");
  m.name = name;
  if (!birthday.empty()) {
    if (auto ok = check_birthday(birthday); !ok) return std::unexpected(ok.error());
  }
  m.birthday = birthday;
  if (tier.empty() || tier == "normal") {
    m.tier = 1;
  } else if (tier == "silver") {
    m.tier = 2;
  } else if (tier == "gold") {
    m.tier = 3;
  } else {
    return fail("bad_row",
                fmt::format("tier '{}' is not normal, silver or gold", tier.substr(0, 16)));
  }
  if (points < 0) return fail("bad_row", "points must not be negative");
  m.hq_points = points;
  return m;
}

Result<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          fields.back().push_back('"');
          ++i;
        } else {
          quoted = false;
        }
      } else {
        fields.back().push_back(c);
      }
    } else if (c == '"' && fields.back().empty()) {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back().push_back(c);
    }
  }
  if (quoted) return fail("bad_row", "unterminated quoted field");
  return fields;
}

Result<ImportReport> import_members(const std::string& path, store::Database& db,
                                    store::MemberStore& members, std::int64_t now,
                                    const ImportOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("import_unreadable", fmt::format("cannot read '{}'", path));
  std::error_code ec;
  std::uint64_t total = std::filesystem::file_size(path, ec);
  ImportFormat format = options.format;
  if (format == ImportFormat::kAuto) {
    format = path.ends_with(".csv") ? ImportFormat::kCsv : ImportFormat::kJsonLines;
  }

  ImportReport report;
  auto reject = [&](std::int64_t line, std::string reason) {
    ++report.rejected;
    if (report.errors.size() < options.max_errors)
      report.errors.push_back({line, std::move(reason)});
  };

  std::map<std::string, std::size_t> columns;
  static constexpr std::array<const char*, 7> kColumns = {"member_id", "card_no", "phone", "name",
                                                          "birthday",  "tier",    "points"};
  std::string line;
  std::int64_t line_no = 0;
  std::uint64_t bytes = 0;
  std::int64_t in_chunk = 0;
  std::optional<store::Transaction> tx;

  auto finish_chunk = [&]() -> Status {
    if (tx) {
      if (auto ok = tx->commit(); !ok) return ok;
      tx.reset();
    }
    in_chunk = 0;
    if (options.progress) options.progress(bytes, total);
    return {};
  };

  while (std::getline(in, line)) {
    ++line_no;
    bytes += line.size() + 1;
    if (line_no == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);  // Excel's BOM
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;

    std::string f[7];
    std::int64_t points = 0;
    if (format == ImportFormat::kCsv) {
      auto fields = split_csv_line(line);
      if (columns.empty()) {
        if (!fields) return fail("import_bad_header", fields.error().message);
        for (std::size_t i = 0; i < fields->size(); ++i) columns[(*fields)[i]] = i;
        for (const char* required : {"member_id"}) {
          if (!columns.contains(required)) {
            return fail(
                "import_bad_header",
                fmt::format("line 1: the CSV header must name the columns (member_id, "
                            "card_no, phone, name, birthday, tier, points); '{}' is missing",
                            required));
          }
        }
        for (const auto& [name, _] : columns) {
          if (std::find_if(kColumns.begin(), kColumns.end(),
                           [&](const char* c) { return name == c; }) == kColumns.end()) {
            return fail("import_bad_header",
                        fmt::format("line 1: unknown column '{}'", name.substr(0, 32)));
          }
        }
        continue;
      }
      if (!fields) {
        reject(line_no, fields.error().message);
        continue;
      }
      if (fields->size() != columns.size()) {
        reject(line_no,
               fmt::format("has {} fields, the header has {}", fields->size(), columns.size()));
        continue;
      }
      for (std::size_t k = 0; k < kColumns.size(); ++k) {
        auto it = columns.find(kColumns[k]);
        if (it != columns.end()) f[k] = (*fields)[it->second];
      }
      if (!f[6].empty()) {
        try {
          std::size_t used = 0;
          points = std::stoll(f[6], &used);
          if (used != f[6].size()) throw std::invalid_argument("trailing");
        } catch (const std::exception&) {
          reject(line_no, "points is not a whole number");
          continue;
        }
      }
    } else {
      pma::v1::MemberImportRow row;
      google::protobuf::util::JsonParseOptions json_options;
      auto status = google::protobuf::util::JsonStringToMessage(line, &row, json_options);
      if (!status.ok()) {
        reject(line_no, fmt::format("not a valid member JSON object: {}",
                                    std::string(status.message()).substr(0, 120)));
        continue;
      }
      f[0] = row.member_id(), f[1] = row.card_no(), f[2] = row.phone(), f[3] = row.name();
      f[4] = row.birthday(), f[5] = row.tier();
      points = row.points();
    }

    auto member = validate_row(f[0], f[1], f[2], f[3], f[4], f[5], points);
    if (!member) {
      reject(line_no, member.error().message);
      continue;
    }
    if (!tx) {
      auto begun = store::Transaction::begin(db);
      if (!begun) return std::unexpected(begun.error());
      tx.emplace(std::move(*begun));
    }
    if (auto ok = members.upsert(*member, now); !ok) {
      if (ok.error().code != "member_conflict") return std::unexpected(ok.error());
      reject(line_no, "card number or phone already belongs to another member");
      continue;
    }
    ++report.imported;
    if (++in_chunk >= options.chunk_rows) {
      if (auto ok = finish_chunk(); !ok) return std::unexpected(ok.error());
    }
  }
  if (format == ImportFormat::kCsv && columns.empty()) {
    return fail("import_bad_header", "the CSV file is empty; it needs a header row");
  }
  if (auto ok = finish_chunk(); !ok) return std::unexpected(ok.error());
  return report;
}

}  // namespace pma::admin

// The member-import row and its reader, one rule for `memberctl import` (a standalone till)
// and `memberhq import`: CSV (RFC 4180 quoting, a header row naming the columns) or JSON lines
// of pma.v1.MemberImportRow, and what a valid row is. A member base imported at HQ and the same
// file imported at a till give the same members. Thread-compatible (a reader is used by one
// thread); validate_import_row is pure.
#pragma once

#include <array>
#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pma/error.h"
#include "pma/v1/member_import.pb.h"

namespace pma {

enum class ImportFormat { csv, json_lines };

// The columns a CSV header may name (any order, member_id required), and the JSON fields.
inline constexpr std::array<std::string_view, 7> kImportColumns = {
    "member_id", "card_no", "phone", "name", "birthday", "tier", "points"};

// A row that passed validate_import_row: what both ends store (each hashes and masks the phone
// with pma/phone.h).
struct ImportedRow {
  std::string member_id;  // 1-64 of A-Z a-z 0-9 '-' '_'
  std::string card_no;    // "" or 1-32 of the same
  std::string phone;      // "" or the normalised 11 digits
  std::string name;       // UTF-8, at most 32 characters
  std::string birthday;   // "" or "MM-DD" (a day that exists; 02-29 allowed)
  int tier = 1;           // pma.v1.Tier: 1 normal, 2 silver, 3 gold
  std::int64_t points = 0;
};

// Checks one row. Errors: "bad_row" with the reason naming the field; the message never
// echoes the phone number or any other run of digits a phone could hide in.
// A till's cache finds members by card or phone, so a till refuses a row with neither; HQ takes
// it (an app-only member, identified by the member QR that names its id).
enum class ContactRule { card_or_phone, optional };
Result<ImportedRow> validate_import_row(const v1::MemberImportRow& row,
                                        ContactRule contact = ContactRule::card_or_phone);

// One record of a file: the line it starts on and its row, or why it cannot be read
// ("bad_row": a JSON line that is not a member object, a CSV record with the wrong number of
// fields, an unclosed quote, a non-integer points).
struct ImportRecord {
  std::int64_t line = 0;  // 1-based physical line where the record begins
  Result<v1::MemberImportRow> row;
};

// Splits CSV text into records of fields by RFC 4180: fields separated by ',', a field that
// starts with '"' is quoted (commas, line breaks and doubled quotes "" inside it are data), a
// '"' inside an unquoted field is data. Line breaks are LF or CRLF (a CRLF inside a quoted
// field reads as LF). Errors ("bad_row"): text after a closing quote, a quoted field never
// closed. For tests and the reader; one record, no line breaks outside quotes.
Result<std::vector<std::string>> split_csv_record(std::string_view record);

// Reads a member file record by record, streaming (a till imports millions of rows within a
// few MB). A UTF-8 BOM at the start and blank lines are skipped. CSV: the first record is the
// header; errors for the file as a whole ("import_bad_header": no header, member_id missing, an
// unknown or repeated column) end the reading. `in` must outlive the reader.
class MemberImportReader {
 public:
  MemberImportReader(std::istream& in, ImportFormat format) : in_(in), format_(format) {}

  // The next record, or nullopt at the end of the file.
  Result<std::optional<ImportRecord>> next();
  // Bytes consumed so far, for progress.
  std::uint64_t bytes_read() const { return bytes_; }
  // CSV: whether the header (read by the first next()) names `column`; JSON lines: false.
  bool names_column(std::string_view column) const;

 private:
  bool read_line(std::string& line);
  // The next CSV record's fields, nullopt at the end; `line` is set to where it starts.
  std::optional<Result<std::vector<std::string>>> next_csv(std::int64_t& line);
  Status read_header();

  std::istream& in_;
  ImportFormat format_;
  std::int64_t line_no_ = 0;
  std::uint64_t bytes_ = 0;
  bool header_read_ = false;
  std::size_t header_size_ = 0;
  std::array<int, kImportColumns.size()> column_of_{};  // field index per column, -1 absent
};

}  // namespace pma

#include "pma/member_import.h"

#include <catch2/catch.hpp>
#include <sstream>

namespace {

struct Read {
  std::vector<pma::ImportRecord> records;
  std::optional<pma::Error> file_error;
};

Read read_all(const std::string& text, pma::ImportFormat format = pma::ImportFormat::csv) {
  std::istringstream in(text);
  pma::MemberImportReader reader(in, format);
  Read out;
  for (;;) {
    auto record = reader.next();
    if (!record) {
      out.file_error = record.error();
      return out;
    }
    if (!*record) return out;
    out.records.push_back(std::move(**record));
  }
}

pma::v1::MemberImportRow row_of(const std::string& member_id, const std::string& card_no) {
  pma::v1::MemberImportRow row;
  row.set_member_id(member_id);
  row.set_card_no(card_no);
  return row;
}

}  // namespace

TEST_CASE("CSV fields follow RFC 4180 quoting", "[proto][import]") {
  CHECK(pma::split_csv_record("a,\"b,c\",\"d\"\"e\",").value() ==
        std::vector<std::string>{"a", "b,c", "d\"e", ""});
  CHECK(pma::split_csv_record("a,b\"c,\"\"").value() == std::vector<std::string>{"a", "b\"c", ""});
  CHECK(pma::split_csv_record("\"line\nbreak\",x\r").value() ==
        std::vector<std::string>{"line\nbreak", "x"});
  auto open = pma::split_csv_record("a,\"b");
  REQUIRE_FALSE(open);
  CHECK(open.error().code == "bad_row");
  auto after = pma::split_csv_record("a,\"b\"c");
  REQUIRE_FALSE(after);
  CHECK_THAT(after.error().message, Catch::Contains("field 2 has text after its closing quote"));
}

TEST_CASE("Quoted fields carry commas, quotes and line breaks and records keep their first line",
          "[proto][import]") {
  const auto read = read_all(
      "member_id,card_no,name\r\n"
      "M1,C1,\"Li, Na\"\r\n"
      "M2,C2,\"say \"\"hi\"\"\"\r\n"
      "M3,C3,\"two\r\nlines\"\r\n"
      "M4,C4,plain\r\n");
  REQUIRE_FALSE(read.file_error);
  REQUIRE(read.records.size() == 4);
  CHECK(read.records[0].line == 2);
  CHECK(read.records[0].row->name() == "Li, Na");
  CHECK(read.records[1].row->name() == "say \"hi\"");
  CHECK(read.records[2].line == 4);
  CHECK(read.records[2].row->name() == "two\nlines");  // CRLF inside quotes reads as LF
  CHECK(read.records[3].line == 6);                    // the record after spans no more
  CHECK(read.records[3].row->card_no() == "C4");
}

TEST_CASE("A BOM before the header and blank lines are skipped", "[proto][import]") {
  const auto read = read_all("\xEF\xBB\xBFmember_id,card_no\n\nM1,C1\n  \t\r\nM2,C2");
  REQUIRE_FALSE(read.file_error);
  REQUIRE(read.records.size() == 2);
  CHECK(read.records[0].line == 3);
  CHECK(read.records[1].line == 5);  // the last line has no line break
  CHECK(read.records[1].row->member_id() == "M2");
  const auto json = read_all("\xEF\xBB\xBF{\"memberId\":\"M1\",\"cardNo\":\"C1\"}\r\n",
                             pma::ImportFormat::json_lines);
  REQUIRE(json.records.size() == 1);
  CHECK(json.records[0].row->member_id() == "M1");
}

TEST_CASE("Bad rows are reported by the line they start on, with the reason", "[proto][import]") {
  const auto read = read_all(
      "member_id,card_no,points\n"
      "M1,C1\n"                // line 2: too few fields
      "M2,\"C2\"x,1\n"         // line 3: text after a closing quote
      "M3,C3,1.5\n"            // line 4: points
      "M4,C4,7\n"              // line 5: good
      "M5,\"never closed,1\n"  // line 6: the quote runs to the end of the file
      "M6,C6,1\n");
  REQUIRE_FALSE(read.file_error);
  REQUIRE(read.records.size() == 5);
  CHECK(read.records[0].line == 2);
  CHECK_THAT(read.records[0].row.error().message, Catch::Equals("has 2 fields, the header has 3"));
  CHECK(read.records[1].line == 3);
  CHECK_THAT(read.records[1].row.error().message,
             Catch::Equals("field 2 has text after its closing quote"));
  CHECK(read.records[2].line == 4);
  CHECK_THAT(read.records[2].row.error().message, Catch::Equals("points is not a whole number"));
  CHECK(read.records[3].line == 5);
  CHECK(read.records[3].row->points() == 7);
  CHECK(read.records[4].line == 6);
  CHECK_THAT(read.records[4].row.error().message,
             Catch::Equals("the quoted field 2 opened on line 6 is never closed"));
}

TEST_CASE("A CSV without a proper header is refused as a whole", "[proto][import]") {
  struct Case {
    const char* text;
    const char* reason;
  };
  auto c = GENERATE(values<Case>({
      {"", "empty"},
      {"\n\n", "empty"},
      {"card_no,phone\nC1,\n", "'member_id' is missing"},
      {"member_id,mobile\nM1,138\n", "line 1: unknown column 'mobile'"},
      {"member_id,card_no,member_id\n", "column 'member_id' appears twice"},
      {"member_id,\"card_no\n", "never closed"},
  }));
  INFO(c.text);
  const auto read = read_all(c.text);
  REQUIRE(read.file_error);
  CHECK(read.file_error->code == "import_bad_header");
  CHECK_THAT(read.file_error->message, Catch::Contains(c.reason));
  CHECK(read.records.empty());
}

TEST_CASE("JSON lines: each line one member object, unknown fields named", "[proto][import]") {
  const auto read = read_all(
      "{\"member_id\":\"M1\",\"card_no\":\"C1\",\"points\":\"7\"}\n"
      "{\"memberId\":\"M2\",\"colour\":\"red\"}\n"
      "not json\n"
      "{\"memberId\":\"M4\",\"phone\":13812345678,\"colour\":1}\n",
      pma::ImportFormat::json_lines);
  REQUIRE(read.records.size() == 4);
  CHECK(read.records[0].row->points() == 7);
  CHECK(read.records[1].line == 2);
  CHECK_THAT(read.records[1].row.error().message, Catch::Contains("colour"));
  CHECK(read.records[2].line == 3);
  CHECK_FALSE(read.records[2].row);
  REQUIRE_FALSE(read.records[3].row);
  CHECK(read.records[3].row.error().message.find("1234567") == std::string::npos);
}

TEST_CASE("A row needs a proper id and a card or phone and its phone is normalised",
          "[proto][import]") {
  auto row = row_of("M1", "");
  row.set_phone("+86 138-1234-5678");
  row.set_tier("2");
  auto ok = pma::validate_import_row(row);
  REQUIRE(ok);
  CHECK(ok->phone == "13812345678");
  CHECK(ok->tier == 2);

  struct Case {
    pma::v1::MemberImportRow row;
    const char* reason;
  };
  auto bad = [](std::function<void(pma::v1::MemberImportRow&)> edit, const char* reason) {
    auto r = row_of("M1", "C1");
    edit(r);
    return Case{r, reason};
  };
  for (const Case& c : {
           bad([](auto& r) { r.set_member_id(""); }, "member_id must be 1-64"),
           bad([](auto& r) { r.set_member_id("M 1"); }, "member_id must be 1-64"),
           bad([](auto& r) { r.set_card_no(std::string(33, '1')); }, "card_no must be 1-32"),
           bad([](auto& r) { r.set_card_no(""); }, "a card_no or a phone"),
           bad([](auto& r) { r.set_phone("1381234567"); }, "10 digits"),
           bad([](auto& r) { r.set_name("\xff"); }, "name is not UTF-8 text"),
           bad([](auto& r) { r.set_name(std::string(33, 'x')); }, "longer than 32"),
           bad([](auto& r) { r.set_birthday("1990/01/01"); }, "MM-DD"),
           bad([](auto& r) { r.set_birthday("1990-02-30"); }, "02-30 does not exist"),
           bad([](auto& r) { r.set_birthday("02-30"); }, "02-30 does not exist"),
           bad([](auto& r) { r.set_tier("diamond"); }, "tier 'diamond'"),
           bad([](auto& r) { r.set_points(-1); }, "must not be negative"),
       }) {
    INFO(c.reason);
    auto result = pma::validate_import_row(c.row);
    REQUIRE_FALSE(result);
    CHECK(result.error().code == "bad_row");
    CHECK_THAT(result.error().message, Catch::Contains(c.reason));
  }
  // A tier that could hide a phone number is not echoed.
  auto phoney = row_of("M1", "C1");
  phoney.set_tier("13812345678");
  CHECK(pma::validate_import_row(phoney).error().message.find("1234") == std::string::npos);
}

TEST_CASE("HQ takes an app-only member without card or phone and a till does not",
          "[proto][import]") {
  auto row = row_of("M1", "");
  CHECK_FALSE(pma::validate_import_row(row));
  auto at_hq = pma::validate_import_row(row, pma::ContactRule::optional);
  REQUIRE(at_hq);
  CHECK(at_hq->member_id == "M1");
}

TEST_CASE("A full birthday date keeps only its month and day", "[proto][import]") {
  auto row = row_of("M1", "C1");
  row.set_birthday("1990-02-28");
  auto ok = pma::validate_import_row(row);
  REQUIRE(ok);
  CHECK(ok->birthday == "02-28");
}

#include <catch2/catch.hpp>
#include <fstream>

#include "admin/member_import.h"
#include "support/temp_dir.h"

using namespace pma::admin;
using namespace pma::store;
using pma::PhoneHasher;

namespace {

struct Env {
  pma::test::TempDir dir;
  std::unique_ptr<Database> db = open_store(dir.file("agent.db")).value();
  PhoneHasher hasher{"import-test-key-000000"};
  MemberStore members{*db, hasher};

  std::string write(const std::string& name, const std::string& text) {
    std::string path = dir.file(name);
    std::ofstream(path) << text;
    return path;
  }
};

}  // namespace

TEST_CASE("CSV import keeps good rows and reports bad ones by line", "[admin][import]") {
  Env env;
  std::string path = env.write("members.csv",
                               "member_id,card_no,phone,name,birthday,tier,points\n"
                               "M1,C1,13812345678,王小明,03-08,gold,1200\n"
                               "M2,C2,,\"Li, Na\",,silver,0\n"
                               "M3,,1234,bad phone,,,\n"
                               "M4,C4,,x,02-30,,\n"
                               "M5,C5,,x,,diamond,\n"
                               "M6,C6,,x,,,12.5\n"
                               "M7,C1,,duplicate card,,,\n"
                               "M8,C8\n"
                               "\n"
                               "M9,,+86 139 0000 1111,,,normal,7\n");
  int chunks = 0;
  ImportOptions options;
  options.chunk_rows = 2;
  options.progress = [&](std::uint64_t, std::uint64_t) { ++chunks; };
  auto report = import_members(path, *env.db, env.members, 100, options);
  REQUIRE(report);
  CHECK(report->imported == 3);
  CHECK(report->rejected == 6);
  REQUIRE(report->errors.size() == 6);
  CHECK(report->errors[0].line == 4);
  CHECK_THAT(report->errors[0].reason, Catch::Contains("4 digits"));
  CHECK(report->errors[1].line == 5);
  CHECK_THAT(report->errors[1].reason, Catch::Contains("02-30 does not exist"));
  CHECK(report->errors[2].line == 6);
  CHECK_THAT(report->errors[2].reason, Catch::Contains("diamond"));
  CHECK(report->errors[3].line == 7);
  CHECK_THAT(report->errors[3].reason, Catch::Contains("whole number"));
  CHECK(report->errors[4].line == 8);
  CHECK_THAT(report->errors[4].reason, Catch::Contains("another member"));
  CHECK(report->errors[5].line == 9);
  CHECK_THAT(report->errors[5].reason, Catch::Contains("2 fields"));
  CHECK(chunks >= 2);

  CHECK(env.members.count().value() == 3);
  auto m2 = env.members.find_by_card("C2", 100).value();
  REQUIRE(m2);
  CHECK(m2->name == "Li, Na");
  CHECK(m2->tier == 2);
  auto m9 = env.members.find_by_phone("13900001111", 100).value();
  REQUIRE(m9);
  CHECK(m9->points == 7);
}

TEST_CASE("JSON lines import validates each object", "[admin][import]") {
  Env env;
  std::string path = env.write(
      "members.jsonl",
      "{\"memberId\":\"M1\",\"cardNo\":\"C1\",\"phone\":\"13812345678\",\"tier\":\"gold\","
      "\"points\":5}\n"
      "{\"member_id\":\"M2\",\"card_no\":\"C2\",\"name\":\"张伟\"}\n"
      "{\"memberId\":\"M3\",\"cardNo\":\"C3\",\"colour\":\"red\"}\n"
      "not json\n"
      "{\"memberId\":\"bad id!\",\"cardNo\":\"C5\"}\n"
      "{\"memberId\":\"M6\"}\n");
  auto report = import_members(path, *env.db, env.members, 100);
  REQUIRE(report);
  CHECK(report->imported == 2);
  REQUIRE(report->rejected == 4);
  CHECK(report->errors[0].line == 3);
  CHECK_THAT(report->errors[0].reason, Catch::Contains("colour"));
  CHECK(report->errors[1].line == 4);
  CHECK(report->errors[2].line == 5);
  CHECK_THAT(report->errors[2].reason, Catch::Contains("member_id"));
  CHECK(report->errors[3].line == 6);
  CHECK_THAT(report->errors[3].reason, Catch::Contains("card_no or a phone"));
  CHECK(env.members.find_by_card("C1", 100).value()->tier == 3);
}

TEST_CASE("A CSV without a proper header is refused as a whole", "[admin][import]") {
  Env env;
  SECTION("unknown column") {
    auto report =
        import_members(env.write("a.csv", "member_id,mobile\nM1,138\n"), *env.db, env.members, 1);
    REQUIRE_FALSE(report);
    CHECK(report.error().code == "import_bad_header");
    CHECK_THAT(report.error().message, Catch::Contains("mobile"));
  }
  SECTION("empty file") {
    auto report = import_members(env.write("b.csv", ""), *env.db, env.members, 1);
    REQUIRE_FALSE(report);
    CHECK(report.error().code == "import_bad_header");
  }
  SECTION("missing file") {
    auto report = import_members(env.dir.file("none.csv"), *env.db, env.members, 1);
    REQUIRE_FALSE(report);
    CHECK(report.error().code == "import_unreadable");
  }
  CHECK(env.members.count().value() == 0);
}

TEST_CASE("A quoted CSV field may span lines and later rows keep their line numbers",
          "[admin][import]") {
  Env env;
  std::string path = env.write("members.csv",
                               "\xEF\xBB\xBFmember_id,card_no,name\r\n"
                               "M1,C1,\"Li,\r\nNa\"\r\n"
                               "M2,C2,\"Wang \"\"Xiao\"\" Ming\"\r\n"
                               "M3,,x\r\n");
  auto report = import_members(path, *env.db, env.members, 100);
  REQUIRE(report);
  CHECK(report->imported == 2);
  REQUIRE(report->errors.size() == 1);
  CHECK(report->errors[0].line == 5);
  CHECK_THAT(report->errors[0].reason, Catch::Contains("card_no or a phone"));
  CHECK(env.members.find_by_card("C1", 100).value()->name == "Li,\nNa");
  CHECK(env.members.find_by_card("C2", 100).value()->name == "Wang \"Xiao\" Ming");
}

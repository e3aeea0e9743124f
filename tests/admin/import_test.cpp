#include <catch2/catch.hpp>
#include <fstream>

#include "agent/admin/member_import.h"
#include "tests/support/temp_dir.h"

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
                               "M1,88600000000001,13812345678,王小明,03-08,gold,1200\n"
                               "M2,88600000000002,,\"Li, Na\",,silver,0\n"
                               "M3,,1234,bad phone,,,\n"
                               "M4,88600000000004,,x,02-30,,\n"
                               "M5,88600000000005,,x,,diamond,\n"
                               "M6,88600000000006,,x,,,12.5\n"
                               "M7,88600000000001,,duplicate card,,,\n"
                               "M8,88600000000008\n"
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
  // The reason names the field that clashed and the member who holds it.
  CHECK(report->errors[4].reason == "card number already belongs to member M1");
  CHECK(report->errors[5].line == 9);
  CHECK_THAT(report->errors[5].reason, Catch::Contains("2 fields"));
  CHECK(chunks >= 2);

  CHECK(env.members.count().value() == 3);
  auto m2 = env.members.find_by_card("88600000000002", 100).value();
  REQUIRE(m2);
  CHECK(m2->name == "Li, Na");
  CHECK(m2->tier == 2);
  auto m9 = env.members.find_by_phone("13900001111", 100).value();
  REQUIRE(m9);
  CHECK(m9->points == 7);
}

TEST_CASE("JSON lines import validates each object", "[admin][import]") {
  Env env;
  std::string path =
      env.write("members.jsonl",
                "{\"memberId\":\"M1\",\"cardNo\":\"88600000000001\",\"phone\":\"13812345678\","
                "\"tier\":\"gold\","
                "\"points\":5}\n"
                "{\"member_id\":\"M2\",\"card_no\":\"88600000000002\",\"name\":\"张伟\"}\n"
                "{\"memberId\":\"M3\",\"cardNo\":\"88600000000003\",\"colour\":\"red\"}\n"
                "not json\n"
                "{\"memberId\":\"bad id!\",\"cardNo\":\"88600000000005\"}\n"
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
  CHECK(env.members.find_by_card("88600000000001", 100).value()->tier == 3);
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
                               "M1,88600000000001,\"Li,\r\nNa\"\r\n"
                               "M2,88600000000002,\"Wang \"\"Xiao\"\" Ming\"\r\n"
                               "M3,,x\r\n");
  ImportOptions options;
  options.without_phones = true;  // the header has no phone column
  auto report = import_members(path, *env.db, env.members, 100, options);
  REQUIRE(report);
  CHECK(report->imported == 2);
  REQUIRE(report->errors.size() == 1);
  CHECK(report->errors[0].line == 5);
  CHECK_THAT(report->errors[0].reason, Catch::Contains("card_no or a phone"));
  CHECK(env.members.find_by_card("88600000000001", 100).value()->name == "Li,\nNa");
  CHECK(env.members.find_by_card("88600000000002", 100).value()->name == "Wang \"Xiao\" Ming");
}

TEST_CASE("A row whose phone or card belongs to another member names the field and the member",
          "[admin][import]") {
  Env env;
  std::string path = env.write("members.csv",
                               "member_id,card_no,phone\n"
                               "M1,88600000000001,13812345678\n"
                               "M2,88600000000002,+86 138 1234 5678\n"
                               "M3,88600000000001,13900001111\n");
  auto report = import_members(path, *env.db, env.members, 100);
  REQUIRE(report);
  CHECK(report->imported == 1);
  REQUIRE(report->errors.size() == 2);
  CHECK(report->errors[0].line == 3);
  CHECK(report->errors[0].reason == "phone number already belongs to member M1");
  CHECK(report->errors[1].line == 4);
  CHECK(report->errors[1].reason == "card number already belongs to member M1");
}

TEST_CASE("A CSV header without a phone column is refused unless card-only is asked for",
          "[admin][import]") {
  Env env;
  const std::string text = "member_id,card_no,name\nM1,88600000000001,x\n";
  auto refused = import_members(env.write("a.csv", text), *env.db, env.members, 1);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "import_bad_header");
  CHECK_THAT(refused.error().message, Catch::Contains("no 'phone' column"));
  CHECK_THAT(refused.error().message, Catch::Contains("--without-phones"));
  CHECK(env.members.count().value() == 0);

  ImportOptions options;
  options.without_phones = true;
  auto imported = import_members(env.write("a.csv", text), *env.db, env.members, 1, options);
  REQUIRE(imported);
  CHECK(imported->imported == 1);
}

TEST_CASE("A card number the till's scanner rules could never match is refused",
          "[admin][import]") {
  Env env;
  std::string path = env.write("members.csv",
                               "member_id,card_no,phone\n"
                               "M1,ABC,13812345678\n"
                               "M2,123,\n"
                               "M3,88600000000003,\n");
  auto report = import_members(path, *env.db, env.members, 100);
  REQUIRE(report);
  CHECK(report->imported == 1);
  REQUIRE(report->errors.size() == 2);
  CHECK(report->errors[0].line == 2);
  CHECK_THAT(report->errors[0].reason, Catch::Contains("card_no"));
  CHECK_THAT(report->errors[0].reason, Catch::Contains("[codes]"));
  CHECK(report->errors[1].line == 3);

  // With the chain's own card rules ([codes]), its cards are accepted.
  ImportOptions options;
  options.card_rules.card_digits_only = false;
  options.card_rules.card_min_length = 3;
  auto letters = import_members(env.write("b.csv", "member_id,card_no,phone\nM9,ABC,\n"), *env.db,
                                env.members, 100, options);
  REQUIRE(letters);
  CHECK(letters->imported == 1);
}

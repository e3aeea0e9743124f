// The error-code catalogue (proto/pma/error_codes.h) against what uses it: the HTTP status the
// API answers, README's error table, and every code string in the sources (agent/, sync/,
// drivers/, proto/), found by the call patterns that take a code.
#include "pma/error_codes.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "agent/api/json.h"

namespace {

namespace fs = std::filesystem;

// This tree; PMA_SCAN_DIR may name another (to count the codes of an older tree).
const fs::path kSourceDir =
    std::getenv("PMA_SCAN_DIR") ? std::getenv("PMA_SCAN_DIR") : PMA_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool is_code(const std::string& s) {
  static const std::regex code("[a-z][a-z0-9]*(_[a-z0-9]+)*");
  return std::regex_match(s, code);
}

// The text of the argument that starts at `pos`, up to the ',' or closing bracket that ends it
// (brackets nested and string literals skipped).
std::string argument_at(const std::string& text, std::size_t pos) {
  int depth = 0;
  for (std::size_t i = pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c; ++i) {
        if (text[i] == '\\') ++i;
      }
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      if (depth-- == 0) return text.substr(pos, i - pos);
    } else if (c == ',' && depth == 0) {
      return text.substr(pos, i - pos);
    }
  }
  return text.substr(pos);
}

std::vector<std::string> code_literals(const std::string& argument) {
  static const std::regex literal("\"([^\"\\\\]*)\"");
  std::vector<std::string> out;
  for (std::sregex_iterator it(argument.begin(), argument.end(), literal), end; it != end; ++it) {
    if (is_code((*it)[1])) out.push_back((*it)[1]);
  }
  return out;
}

enum class Vocabulary { error, conflict, either };

// A call that takes a code: the pattern ends where the code's argument begins.
struct Site {
  const char* pattern;
  Vocabulary vocabulary;
  bool comparison = false;
};

// Every way the sources pass a code string (found with grep: fail(, Error{, ...). The last
// group are comparisons steering control flow; their codes must be catalogued too.
const Site kSites[] = {
    {R"(\bfail\()", Vocabulary::error},
    {R"(\bError\{)", Vocabulary::error},
    {R"(\bError::make\()", Vocabulary::error},
    {R"(\berror_response\((?:\s*\d+\s*,)?\s*)", Vocabulary::error},
    {R"([.\s(]error\()", Vocabulary::error},  // Database::error("sqlite_prepare", sql)
    {R"(\brecord_error\()", Vocabulary::error},
    {R"(\bset_reason_code\()", Vocabulary::error},
    {R"(\brefuse\((?=\s*"))", Vocabulary::error},             // a quote's coupon refusal
    {R"(\brefuse\(\s*reply\s*,)", Vocabulary::error},         // HQ's reservation refusal
    {R"(\b(?:failed|report_error)\(\{)", Vocabulary::error},  // Error aggregates
    {R"(\bcode\s*=\s*(?=")|\bcode\s*=\s*(?=\())", Vocabulary::error},
    {R"(\bRefusal\{)", Vocabulary::conflict},
    {R"(\brecord_conflict\(\s*[^,()]+,\s*[^,()]+,)", Vocabulary::conflict},
    {R"(\brecorded\.push_back\(\{)", Vocabulary::conflict},
    {R"(\breturn \{(?="))", Vocabulary::either},
    {R"((?:\bcode|\.code\(\)|\bkind)\s*[!=]=\s*(?="))", Vocabulary::either, true},
};

struct Found {
  std::string code;
  std::string where;  // file:line
  Vocabulary vocabulary;
  bool comparison;
};

std::vector<Found> scan_sources() {
  std::vector<std::pair<std::regex, const Site*>> sites;
  for (const Site& site : kSites) sites.emplace_back(std::regex(site.pattern), &site);
  std::vector<Found> found;
  for (const char* folder : {"agent", "sync", "drivers", "proto"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / folder)) {
      auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".h") continue;
      std::string text = read_text(entry.path());
      static const std::regex constant(R"(\b(?:err|conflict)::([a-z0-9_]+))");
      for (std::sregex_iterator it(text.begin(), text.end(), constant), end; it != end; ++it) {
        std::size_t line = 1 + std::count(text.begin(), text.begin() + it->position(), '\n');
        found.push_back(
            {(*it)[1], fs::relative(entry.path(), kSourceDir).string() + ":" + std::to_string(line),
             Vocabulary::either, false});
      }
      for (const auto& [regex, site] : sites) {
        for (std::sregex_iterator it(text.begin(), text.end(), regex), end; it != end; ++it) {
          std::size_t at = static_cast<std::size_t>(it->position() + it->length());
          std::size_t line = 1 + std::count(text.begin(), text.begin() + it->position(), '\n');
          std::string where =
              fs::relative(entry.path(), kSourceDir).string() + ":" + std::to_string(line);
          auto codes = code_literals(argument_at(text, at));
          if (site->comparison && codes.size() > 1) codes.resize(1);  // "a" || code == "b"
          for (auto& code : codes) {
            found.push_back({code, where, site->vocabulary, site->comparison});
          }
        }
      }
    }
  }
  return found;
}

bool known(const Found& f) {
  switch (f.vocabulary) {
    case Vocabulary::error:
      return pma::is_catalogued_error(f.code);
    case Vocabulary::conflict:
      return pma::is_hq_conflict_kind(f.code);
    case Vocabulary::either:
      return pma::is_catalogued_error(f.code) || pma::is_hq_conflict_kind(f.code);
  }
  return false;
}

// The rows "| `code` | second column | ..." of README's table under `heading`, up to the next
// heading: code -> second column.
std::map<std::string, std::string> readme_table(std::string_view heading) {
  std::istringstream readme(read_text(kSourceDir / "README.md"));
  std::map<std::string, std::string> rows;
  static const std::regex row(R"(^\| `([a-z0-9_]+)` \| ([^|]*[^ |]) \|.*)");
  bool inside = false;
  for (std::string line; std::getline(readme, line);) {
    if (line.starts_with("#")) {
      inside = line == heading;
      continue;
    }
    std::smatch m;
    if (inside && std::regex_match(line, m, row)) rows[m[1]] = m[2];
  }
  return rows;
}

}  // namespace

TEST_CASE("Every code string in the sources is in the error-code catalogue", "[api][errors]") {
  auto found = scan_sources();
  std::set<std::string> codes;
  std::size_t comparisons = 0;
  for (const auto& f : found) {
    codes.insert(f.code);
    if (f.comparison) ++comparisons;
  }
  // Listed so a reader sees what the scan covers (and a scan that finds nothing fails below).
  std::cout << "error codes used in agent/ sync/ drivers/ proto/: " << codes.size()
            << " distinct, at " << found.size() << " sites; " << comparisons
            << " comparisons of codes as strings\n  ";
  for (const auto& code : codes) std::cout << code << ' ';
  std::cout << "\n  compared as strings at:";
  for (const auto& f : found) {
    if (f.comparison) std::cout << ' ' << f.where << ' ' << f.code;
  }
  std::cout << '\n';
  CHECK(codes.size() > 150);
  for (const auto& f : found) {
    INFO(f.where << ": \"" << f.code << "\"");
    CHECK(known(f));
  }
}

TEST_CASE("Every catalogued code is used somewhere in the sources", "[api][errors]") {
  std::string all;
  for (const char* folder : {"agent", "sync", "drivers", "proto"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / folder)) {
      auto ext = entry.path().extension();
      if (ext == ".cpp" || ext == ".h") all += read_text(entry.path());
    }
  }
  // Made by fmt::format("printer_{}_failed", what) in drivers/printer/stream_io.h.
  const std::set<std::string_view> formatted = {"printer_write_failed", "printer_read_failed"};
  auto used = [&](std::string_view code, std::string_view constant_namespace) {
    return formatted.contains(code) ||
           all.find('"' + std::string(code) + '"') != std::string::npos ||
           all.find(std::string(constant_namespace) + std::string(code)) != std::string::npos;
  };
  for (const auto& e : pma::kApiErrorCodes) {
    INFO(e.code);
    CHECK(used(e.code, "err::"));
  }
  for (const auto& e : pma::kRecordedErrorCodes) {
    INFO(e.code);
    CHECK(used(e.code, "err::"));
  }
  for (const auto& e : pma::kHqConflictKinds) {
    INFO(e.code);
    CHECK(used(e.code, "conflict::"));
  }
}

TEST_CASE("Catalogue codes are snake_case, listed once, each with a meaning", "[api][errors]") {
  std::set<std::string_view> errors;
  for (const auto& e : pma::kApiErrorCodes) {
    INFO(e.code);
    CHECK(is_code(std::string(e.code)));
    CHECK(errors.insert(e.code).second);
    CHECK(!e.meaning.empty());
    CHECK(e.http_status >= 400);
    CHECK(e.http_status <= 599);
  }
  for (const auto& e : pma::kRecordedErrorCodes) {
    INFO(e.code);
    CHECK(is_code(std::string(e.code)));
    CHECK(errors.insert(e.code).second);
    CHECK(!e.meaning.empty());
  }
  std::set<std::string_view> kinds;
  for (const auto& e : pma::kHqConflictKinds) {
    INFO(e.code);
    CHECK(is_code(std::string(e.code)));
    CHECK(kinds.insert(e.code).second);
    CHECK(!e.meaning.empty());
  }
}

TEST_CASE("The API answers each catalogued code with the catalogue's status", "[api][errors]") {
  for (const auto& e : pma::kApiErrorCodes) {
    INFO(e.code);
    CHECK(pma::api::status_for(e.code) == e.http_status);
    auto response = pma::api::error_response(pma::Error{std::string(e.code), "why"});
    CHECK(response.status == e.http_status);
    CHECK_THAT(response.body, Catch::Contains("\"code\":\"" + std::string(e.code) + "\""));
  }
  // Not API answers: answering one would be a bug, told to the POS as "outcome unknown".
  CHECK(pma::api::status_for(pma::err::printer_timeout) == 500);
  CHECK(pma::api::status_for("no_such_code_anywhere") == 500);
  CHECK(pma::api::status_for("coupon_made_up") == 500);  // no prefix rules any more
}

TEST_CASE("README's error table lists exactly the API's codes with their status", "[api][errors]") {
  auto table = readme_table("### Error codes");
  std::cout << "README error table: " << table.size()
            << " codes; catalogue: " << std::size(pma::kApiErrorCodes) << " API codes\n";
  for (const auto& e : pma::kApiErrorCodes) {
    INFO("catalogue code " << e.code << " (" << e.http_status << ")");
    auto row = table.find(std::string(e.code));
    REQUIRE(row != table.end());
    CHECK(row->second == std::to_string(e.http_status));
  }
  for (const auto& [code, status] : table) {
    INFO("README row " << code << " (" << status << ")");
    CHECK(pma::find_api_error(code) != nullptr);
  }
}

TEST_CASE("README's conflict table lists exactly HQ's conflict kinds", "[api][errors]") {
  auto table = readme_table("#### Conflict kinds");
  for (const auto& e : pma::kHqConflictKinds) {
    INFO("catalogue kind " << e.code);
    CHECK(table.contains(std::string(e.code)));
  }
  for (const auto& [kind, meaning] : table) {
    INFO("README row " << kind);
    CHECK(pma::is_hq_conflict_kind(kind));
  }
  CHECK(table.size() == std::size(pma::kHqConflictKinds));
}

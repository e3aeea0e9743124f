// Fuzz target: HQ applying a till's batch (hq::SqliteSink::apply_batch) on a scratch database,
// the way memberhq's server does after decode_batch: wire::unpack_checkouts, then apply.
// Input: a terminal byte (bit 0: S1/T1 or S2/T1), then a pma.v1.Batch (plain or columnar).
// The database starts from a fixture: members M0000042 (500 points), M0000043 (0 points) and
// M0000044 (erased), coupon CPN-AB12CD issued to M0000042, rule set 3.
// Properties: no throw, crash or UB; a refusal has a snake_case code and a message, is never
// SQLite's "integer overflow" and leaves the database exactly as it was; every balance stays an
// integer within the fixture's balance plus or minus (deltas applied) x the default cap of
// points per transaction; applying the same batch again changes nothing and applies nothing.
#include <fmt/format.h>
#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pma/limits.h"
#include "pma/v1/rules.pb.h"
#include "pma/v1/sync.pb.h"
#include "sync/hq/sqlite_sink.h"
#include "sync/wire/delta_columns.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace fs = std::filesystem;
using pma::fuzz::check;

constexpr std::int64_t kNowMs = 1'760'000'100'000;
const std::map<std::string, std::int64_t> kFixtureBalances = {
    {"M0000042", 500}, {"M0000043", 0}, {"M0000044", 0}};

// One scratch folder per process, in memory when /dev/shm exists. A crashing input kills the
// process before any clean-up, so each start removes the folders of processes that are gone.
// Never destroyed: the atexit clean-up runs after static destructors.
const fs::path& scratch_dir() {
  static const fs::path& dir = *new fs::path([] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(base, ec)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("pma-fuzz-hq-", 0) != 0) continue;
      const long pid = std::strtol(name.c_str() + 12, nullptr, 10);
      if (pid > 0 && kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) {
        fs::remove_all(entry.path(), ec);
      }
    }
    fs::path own = base / fmt::format("pma-fuzz-hq-{}", getpid());
    fs::remove_all(own, ec);
    fs::create_directories(own);
    std::atexit([] {
      std::error_code ignored;
      fs::remove_all(scratch_dir(), ignored);
    });
    return own;
  }());
  return dir;
}

void remove_db(const fs::path& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    fs::remove(path.string() + suffix, ec);
  }
}

void exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error != nullptr ? error : "?";
    sqlite3_free(error);
    pma::fuzz::violated("fixture: " + message + " in " + sql);
  }
}

// The fixture database, built once per process; each input starts from a copy.
const fs::path& fixture() {
  static const fs::path path = [] {
    fs::path p = scratch_dir() / "fixture.db";
    remove_db(p);
    {
      auto sink = pma::hq::SqliteSink::open(p.string(), "NORMAL");
      check(sink.has_value(), "fixture: cannot open the sink");
      std::vector<pma::hq::ImportedMember> members;
      for (const auto& [id, points] : kFixtureBalances) {
        members.push_back({.member_id = id, .card_no = "C" + id, .points = points});
      }
      check((*sink)->import_members(members).has_value(), "fixture: import failed");
      pma::v1::RuleSet rules;
      rules.set_version(3);
      check((*sink)->put_rule_set(3, rules.SerializeAsString()).has_value(),
            "fixture: rule set refused");
    }
    sqlite3* db = nullptr;
    sqlite3_open(p.c_str(), &db);
    exec(db,
         "UPDATE members SET erased = 1 WHERE member_id = 'M0000044';"
         "INSERT INTO coupons(code, member_id, template_id, title, valid_from, valid_until) "
         "VALUES('CPN-AB12CD', 'M0000042', 'T-5OFF', '5 off', 0, 4102444800);"
         "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;");
    sqlite3_close(db);
    return p;
  }();
  return path;
}

// Every row of every table, sorted: what "the database did not change" compares.
std::string dump(const fs::path& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    pma::fuzz::violated("cannot open the database to compare it");
  }
  std::vector<std::string> tables;
  sqlite3_stmt* list = nullptr;
  sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", -1,
                     &list, nullptr);
  while (sqlite3_step(list) == SQLITE_ROW) {
    tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list, 0)));
  }
  sqlite3_finalize(list);
  std::string out;
  for (const auto& table : tables) {
    std::vector<std::string> rows;
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, ("SELECT * FROM \"" + table + "\"").c_str(), -1, &q, nullptr);
    while (sqlite3_step(q) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(q); ++c) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(q, c));
        row += fmt::format("{}:{}|", sqlite3_column_type(q, c), text != nullptr ? text : "NULL");
      }
      rows.push_back(std::move(row));
    }
    sqlite3_finalize(q);
    std::sort(rows.begin(), rows.end());
    out += table + "\n";
    for (const auto& row : rows) out += row + "\n";
  }
  sqlite3_close(db);
  return out;
}

// Balances are integers within what `applied` deltas of at most the default cap can move.
void check_balances(const fs::path& path, std::uint64_t applied) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT member_id, typeof(points), points FROM members", -1, &q, nullptr);
  const double bound = static_cast<double>(applied) * pma::kDefaultMaxPointsPerTransaction;
  std::string broken;
  while (broken.empty() && sqlite3_step(q) == SQLITE_ROW) {
    const std::string id = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(q, 1));
    const auto it = kFixtureBalances.find(id);
    const double start = it != kFixtureBalances.end() ? static_cast<double>(it->second) : 0.0;
    const double points = sqlite3_column_double(q, 2);
    if (type != "integer") {
      broken = fmt::format("member {}'s balance is a {} ({})", id, type, points);
    } else if (points > start + bound || points < start - bound) {
      broken = fmt::format("member {}'s balance {} is beyond {} +- {} ({} deltas applied)", id,
                           sqlite3_column_int64(q, 2), start, bound, applied);
    }
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  if (!broken.empty()) pma::fuzz::violated(broken);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const pma::hq::TerminalIdentity terminal{(data[0] & 1) != 0 ? "S2" : "S1", "T1"};
  pma::v1::Batch batch;
  if (!batch.ParseFromArray(data + 1, static_cast<int>(size - 1))) return 0;
  if (!pma::wire::unpack_checkouts(batch)) return 0;  // decode_batch refuses it: never applied

  const fs::path db = scratch_dir() / "work.db";
  remove_db(db);
  fs::copy_file(fixture(), db);
  const std::string before = dump(db);
  {
    auto sink = pma::hq::SqliteSink::open(db.string(), "NORMAL");
    check(sink.has_value(), "cannot open the sink on a copy of the fixture");
    auto first = (*sink)->apply_batch(terminal, batch, kNowMs);
    if (!first) {
      pma::fuzz::check_error(first.error(), {}, "apply_batch");
      check(first.error().message.find("integer overflow") == std::string::npos,
            "apply_batch: SQLite integer overflow: " + first.error().message);
      sink->reset();
      check(dump(db) == before, "a refused batch changed the database: " + first.error().message);
      return 0;
    }
    check_balances(db, first->applied);
    const std::string after = dump(db);
    auto second = (*sink)->apply_batch(terminal, batch, kNowMs + 1000);
    check(second.has_value(),
          "the same batch again is refused: " + (second ? std::string() : second.error().message));
    check(second->applied == 0, fmt::format("the same batch again applied {}", second->applied));
    check(second->highest_applied == first->highest_applied,
          "the same batch again moved the terminal's highest seq");
    sink->reset();
    check(dump(db) == after, "the same batch again changed the database");
  }
  return 0;
}

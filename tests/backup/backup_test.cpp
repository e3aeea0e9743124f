#include "agent/store/backup.h"

#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "agent/store/member_store.h"
#include "agent/store/migrations.h"
#include "tests/support/temp_dir.h"

using namespace pma::store;
namespace fs = std::filesystem;

namespace {

const BackupIdentity kStore1{.store_id = "S001", .terminal_id = "T01"};

pma::Status insert_row(Database& db, const std::string& txn_id) {
  auto stmt = db.prepare(
      "INSERT INTO ledger(member_id, txn_id, kind, points, amount_fen, created_at) "
      "VALUES('M00000001', ?1, 'earn', 10, 1000, 1767225600)");
  if (!stmt) return std::unexpected(stmt.error());
  return stmt->bind(1, txn_id).run();
}

// One ledger row per transaction, as a checkout commits them.
pma::Status commit_row(Database& db, const std::string& txn_id) {
  auto txn = Transaction::begin(db);
  if (!txn) return std::unexpected(txn.error());
  if (auto ok = insert_row(db, txn_id); !ok) return ok;
  return txn->commit();
}

std::int64_t count(Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  return stmt->column_int64(0);
}

// A store database with `rows` ledger rows (padded so the file spans many pages).
std::unique_ptr<Database> make_store(const std::string& path, int rows) {
  fs::create_directories(fs::path(path).parent_path());
  auto db = open_store(path);
  REQUIRE(db);
  auto txn = Transaction::begin(**db);
  REQUIRE(txn);
  for (int i = 0; i < rows; ++i) {
    REQUIRE(insert_row(**db, fmt::format("seed-{:06}-{}", i, std::string(120, 'x'))));
  }
  REQUIRE(txn->commit());
  return std::move(*db);
}

// Waits (bounded, generous) until pred holds; the writer thread is real and the machine noisy.
template <typename Pred>
bool wait_for(Pred pred) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("A backup taken while another connection keeps committing restores every earlier row",
          "[backup]") {
  pma::test::TempDir dir;
  const std::string db_path = dir.file("agent.db");
  auto db = make_store(db_path, 3000);

  std::atomic<bool> stop{false};
  std::atomic<int> committed{0};
  std::string writer_error;  // read after join
  std::thread writer([&] {
    auto own = open_store(db_path);
    if (!own) {
      writer_error = own.error().message;
      return;
    }
    for (int n = 0; !stop.load(); ++n) {
      if (auto ok = commit_row(**own, fmt::format("live-{:06}", n)); !ok) {
        writer_error = ok.error().message;
        return;
      }
      committed.store(n + 1);
    }
  });

  REQUIRE(wait_for([&] { return committed.load() >= 20 || !writer_error.empty(); }));
  const int before = committed.load();  // rows live-0 .. live-(before-1) are committed

  int steps = 0;
  bool writer_moved_mid_backup = false;
  BackupProgress last;
  auto report = backup_database(
      *db, dir.file("till.backup"), kStore1,
      [&](const BackupProgress& p) {
        last = p;
        // Halfway through, insist that the writer commits while the copy is in progress: a
        // backup that held a lock against writers would make this wait time out.
        if (++steps == 5) {
          int seen = committed.load();
          writer_moved_mid_backup = wait_for([&] { return committed.load() > seen; });
        }
      },
      BackupOptions{.pages_per_step = 4});
  stop = true;
  writer.join();
  REQUIRE(writer_error.empty());
  REQUIRE(report);
  CHECK(writer_moved_mid_backup);
  CHECK(steps > 5);
  CHECK(last.pages_done == last.pages_total);
  CHECK(report->pages == last.pages_total);
  CHECK(report->schema_version == latest_schema_version());
  CHECK(report->bytes == static_cast<std::int64_t>(fs::file_size(dir.file("till.backup"))));
  CHECK_FALSE(fs::exists(dir.file("till.backup.partial")));
  CHECK_FALSE(fs::exists(dir.file("till.backup-wal")));

  pma::test::TempDir fresh;
  const std::string target = fresh.file("state/agent.db");
  auto restored = restore_database(dir.file("till.backup"), target, "S001", false);
  REQUIRE(restored);
  CHECK_FALSE(restored->forced);
  CHECK(restored->info.store_id == "S001");
  CHECK(restored->info.terminal_id == "T01");
  CHECK(restored->info.created_at > 0);
  CHECK(restored->previous_database.empty());

  auto back = open_store(target);
  REQUIRE(back);
  CHECK(count(**back, "SELECT count(*) FROM ledger WHERE txn_id LIKE 'seed-%'") == 3000);
  CHECK(count(**back, fmt::format("SELECT count(*) FROM ledger WHERE txn_id LIKE 'live-%' AND "
                                  "CAST(substr(txn_id, 6) AS INTEGER) < {}",
                                  before)) == before);
  // A snapshot, not a smear: the live rows it holds are a gap-free prefix.
  std::int64_t live = count(**back, "SELECT count(*) FROM ledger WHERE txn_id LIKE 'live-%'");
  CHECK(count(**back,
              "SELECT COALESCE(max(CAST(substr(txn_id, 6) AS INTEGER)), -1) FROM ledger "
              "WHERE txn_id LIKE 'live-%'") == live - 1);
}

TEST_CASE("Restore refuses another store's backup unless forced", "[backup]") {
  pma::test::TempDir dir;
  auto db = make_store(dir.file("agent.db"), 10);
  REQUIRE(
      backup_database(*db, dir.file("other.backup"), {.store_id = "S002", .terminal_id = "T07"}));
  const std::string target = dir.file("restore/agent.db");

  auto refused = restore_database(dir.file("other.backup"), target, "S001", false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "backup_wrong_store");
  CHECK_THAT(refused.error().message, Catch::Contains("S002") && Catch::Contains("--force"));
  CHECK_FALSE(fs::exists(target));

  auto forced = restore_database(dir.file("other.backup"), target, "S001", true);
  REQUIRE(forced);
  CHECK(forced->forced);
  CHECK(forced->info.store_id == "S002");
  auto back = open_store(target);
  REQUIRE(back);
  CHECK(count(**back, "SELECT count(*) FROM ledger") == 10);
}

TEST_CASE("Restore rejects a corrupt or foreign or too-new file and leaves the target alone",
          "[backup]") {
  pma::test::TempDir dir;
  auto db = make_store(dir.file("agent.db"), 2000);
  const std::string file = dir.file("till.backup");
  REQUIRE(backup_database(*db, file, kStore1));
  const std::string target = dir.file("live/agent.db");
  { auto live = make_store(target, 3); }
  const auto target_size = fs::file_size(target);

  std::string expected_code;
  SECTION("page headers overwritten with garbage") {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(64, '\xA5');
    for (int page : {2, 3, 5, 8, 13, 21, 34}) {
      f.seekp(4096 * page);
      f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    f.close();
    expected_code = "backup_corrupt";
  }
  SECTION("a truncated file") {
    fs::resize_file(file, fs::file_size(file) / 2);
    expected_code = "backup_corrupt";
  }
  SECTION("a file that is not a database") {
    std::ofstream(file, std::ios::trunc) << "member_id,card\nM1,8860\n" << std::string(600, 'z');
    expected_code = "backup_invalid";
  }
  SECTION("a database of a newer schema") {
    REQUIRE(db->exec(fmt::format("PRAGMA user_version = {}", latest_schema_version() + 1)));
    REQUIRE(backup_database(*db, file, kStore1, {}, {.overwrite = true}));
    expected_code = "backup_schema";
  }
  auto result = restore_database(file, target, "S001", true);
  REQUIRE_FALSE(result);
  INFO(result.error().message);
  CHECK(result.error().code == expected_code);
  CHECK(fs::file_size(target) == target_size);
  CHECK_FALSE(fs::exists(target + ".pre-restore"));
  auto live = open_store(target);
  REQUIRE(live);
  CHECK(count(**live, "SELECT count(*) FROM ledger") == 3);
}

TEST_CASE("Restore moves the replaced database aside and refuses one still in use", "[backup]") {
  pma::test::TempDir dir;
  auto db = make_store(dir.file("agent.db"), 5);
  REQUIRE(backup_database(*db, dir.file("till.backup"), kStore1));
  const std::string target = dir.file("live/agent.db");
  auto live = make_store(target, 7);

  auto refused = restore_database(dir.file("till.backup"), target, "S001", false);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "database_in_use");
  CHECK(count(*live, "SELECT count(*) FROM ledger") == 7);
  live.reset();

  auto restored = restore_database(dir.file("till.backup"), target, "S001", false);
  REQUIRE(restored);
  CHECK(restored->previous_database == target + ".pre-restore");
  auto previous = open_store(restored->previous_database);
  REQUIRE(previous);
  CHECK(count(**previous, "SELECT count(*) FROM ledger") == 7);
  auto back = open_store(target);
  REQUIRE(back);
  CHECK(count(**back, "SELECT count(*) FROM ledger") == 5);
}

TEST_CASE("Backup refuses to replace an existing file unless asked", "[backup]") {
  pma::test::TempDir dir;
  auto db = make_store(dir.file("agent.db"), 5);
  std::ofstream(dir.file("till.backup")) << "keep me";
  auto refused = backup_database(*db, dir.file("till.backup"), kStore1);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "backup_exists");
  CHECK(fs::file_size(dir.file("till.backup")) == 7);
  REQUIRE(backup_database(*db, dir.file("till.backup"), kStore1, {}, {.overwrite = true}));
  auto info = inspect_backup(dir.file("till.backup"));
  REQUIRE(info);
  CHECK(info->ledger_rows == 5);
  CHECK((fs::status(dir.file("till.backup")).permissions() & fs::perms::others_read) ==
        fs::perms::none);
}

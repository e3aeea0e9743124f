// Lookup latency with a large member cache, side by side in one run: a bare prepared SQLite
// point query, MemberStore's lookup, and memberd's HTTP API over a keep-alive connection;
// then memberd's resident memory with that cache. Prints figures; asserts nothing.
#include <fmt/format.h>
#include <sqlite3.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <vector>

#include "agent/admin/demo_members.h"
#include "agent/api/http_client.h"
#include "agent/config/state_files.h"
#include "agent/store/member_store.h"
#include "tests/support/memberd_process.h"
#include "tests/support/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Figures {
  double p50_us, p99_us, max_us;
};

Figures summarize(std::vector<double>& us) {
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[static_cast<std::size_t>(q * (us.size() - 1))]; };
  return {at(0.50), at(0.99), us.back()};
}

std::string proc_status(pid_t pid, const std::string& field) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(field + ":")) {
      auto value = line.substr(field.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "?";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench_lookup: member lookup latency (SQLite, store, HTTP API) and memberd RSS"};
  std::int64_t members = 1'000'000;
  int iterations = 20000;
  app.add_option("--members", members, "members in the cache (default 1,000,000)");
  app.add_option("--iterations", iterations, "lookups per method (default 20,000)");
  CLI11_PARSE(app, argc, argv);

  pma::test::TempDir dir;
  std::string state = dir.file("state");
  (void)pma::config::ensure_state_dir(state);
  std::string key = pma::config::read_or_create_secret(state + "/phone-hash.key", 0600).value();
  std::string db_path = state + "/agent.db";

  auto seed_start = Clock::now();
  {
    auto db = pma::store::open_store(db_path).value();
    pma::PhoneHasher hasher(key);
    pma::store::MemberStore store(*db, hasher);
    auto ok = pma::admin::seed_demo_members(*db, store, 0, members, 2026, 1,
                                            [](std::int64_t done, std::int64_t total) {
                                              if (done % 200000 == 0 || done == total)
                                                std::cerr << "\rseeding " << done << "/" << total;
                                            });
    std::cerr << "\n";
    if (!ok) {
      std::cerr << ok.error().message << "\n";
      return 1;
    }
    (void)db->exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  double seed_s = std::chrono::duration<double>(Clock::now() - seed_start).count();

  pma::admin::DemoMemberGenerator generator(2026);
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<std::int64_t> pick(0, members - 1);
  std::vector<std::string> cards(static_cast<std::size_t>(iterations));
  for (auto& card : cards) card = generator.make(pick(rng)).card_no;

  // 1. A bare prepared SQLite point query on the card index.
  std::vector<double> bare_us;
  {
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT member_id, name, tier, hq_points FROM members WHERE card_no = ?",
                       -1, &stmt, nullptr);
    for (const auto& card : cards) {
      auto t0 = Clock::now();
      sqlite3_bind_text(stmt, 1, card.data(), static_cast<int>(card.size()), SQLITE_STATIC);
      if (sqlite3_step(stmt) != SQLITE_ROW) return std::cerr << "bare: not found\n", 1;
      sqlite3_reset(stmt);
      bare_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  // 2. The store's lookup: member row + unreflected ledger sum + usable coupons.
  std::vector<double> store_us;
  {
    auto db = pma::store::open_store(db_path).value();
    pma::PhoneHasher hasher(key);
    pma::store::MemberStore store(*db, hasher);
    for (const auto& card : cards) {
      auto t0 = Clock::now();
      auto m = store.find_by_card(card, 1);
      if (!m || !*m) return std::cerr << "store: not found\n", 1;
      store_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    }
  }

  // 3. memberd's HTTP API over one keep-alive connection, from this (second) process.
  pma::test::MemberdProcess memberd(
      {.demo_members = -1, .state_dir = state, .log_level = "warn"});  // the cache seeded above
  if (!memberd.wait_ready()) {
    return std::cerr << "memberd did not come up:\n" << memberd.log(), 1;
  }
  auto client = memberd.client();
  std::string rss_idle = proc_status(memberd.pid(), "VmRSS");
  std::vector<double> api_us;
  for (const auto& card : cards) {
    std::string body = "{\"cardNo\":\"" + card + "\"}";
    auto t0 = Clock::now();
    auto reply = client.request("POST", "/v1/members/lookup", body);
    if (!reply || reply->status != 200) return std::cerr << "api: lookup failed\n", 1;
    api_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  std::string rss = proc_status(memberd.pid(), "VmRSS"), hwm = proc_status(memberd.pid(), "VmHWM");
  memberd.stop();

  auto bare = summarize(bare_us), st = summarize(store_us), api = summarize(api_us);
  std::cout << fmt::format("members: {}  (seeded in {:.1f} s)  lookups per method: {}\n", members,
                           seed_s, iterations);
  std::cout << fmt::format("{:<36} {:>10} {:>10} {:>10}\n", "method", "p50 us", "p99 us", "max us");
  std::cout << fmt::format("{:<36} {:>10.1f} {:>10.1f} {:>10.1f}\n",
                           "bare prepared SQLite point query", bare.p50_us, bare.p99_us,
                           bare.max_us);
  std::cout << fmt::format("{:<36} {:>10.1f} {:>10.1f} {:>10.1f}\n", "MemberStore::find_by_card",
                           st.p50_us, st.p99_us, st.max_us);
  std::cout << fmt::format("{:<36} {:>10.1f} {:>10.1f} {:>10.1f}\n", "HTTP API lookup (keep-alive)",
                           api.p50_us, api.p99_us, api.max_us);
  std::cout << fmt::format("memberd RSS: {} after start, {} after the run (peak {})\n", rss_idle,
                           rss, hwm);
  std::cout << "goals: API p99 <= 1000 us, RSS <= 25 MB\n";
  return 0;
}

// bench_checkout: durable commit (synchronous=FULL) latency next to a bare durable single-row
// SQLite insert on the same machine, in the same run. Prints p50/p99 and the ratio.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "checkout/checkout_service.h"
#include "store/member_store.h"
#include "support/temp_dir.h"

using namespace pma;
using Clock = std::chrono::steady_clock;

namespace {

struct Figures {
  double p50_us = 0, p99_us = 0;
};

Figures percentiles(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)]};
}

template <typename F>
std::vector<double> measure(int n, F&& op) {
  std::vector<double> out;
  for (int i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    op(i);
    out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 300;
  // --manual-checkpoint: no automatic WAL checkpoint inside commits (memberd could checkpoint
  // when idle); shows how much of the tail is checkpointing.
  const bool manual_checkpoint = argc > 2 && std::string(argv[2]) == "--manual-checkpoint";
  test::TempDir dir;
  auto bare = store::open_store(dir.file("bare.db"));
  auto agent = store::open_store(dir.file("agent.db"));
  if (!bare || !agent) return 1;
  if (!(*bare)->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, txn TEXT, v INTEGER)")) return 1;
  if (manual_checkpoint) {
    if (!(*bare)->exec("PRAGMA wal_autocheckpoint=0") ||
        !(*agent)->exec("PRAGMA wal_autocheckpoint=0")) {
      return 1;
    }
  }
  store::PhoneHasher hasher("bench-key");
  checkout::SystemClock clock(480);
  checkout::CheckoutService service(**agent, hasher, {"S1", "T1"}, clock);
  service.set_hq_online(true);
  store::MemberStore members(**agent, hasher);
  for (int i = 0; i < 100; ++i) {
    if (!members.upsert({.member_id = fmt::format("M{}", i), .hq_points = 1'000'000}, 0)) return 1;
  }
  auto request = [](int i) {
    v1::CommitRequest r;
    r.set_txn_id(fmt::format("B{}", i));
    r.set_member_id(fmt::format("M{}", i % 100));
    for (int k = 0; k < 3; ++k) {
      auto* l = r.add_lines();
      l->set_sku(fmt::format("sku{}", k));
      l->set_qty(1 + k);
      l->set_unit_price_fen(1999 + 1000 * k);
      l->set_discountable(k != 2);
      l->set_category("bakery");
    }
    if (i % 3 == 0) r.set_points_to_burn(1000);
    return r;
  };
  auto insert = [&](int i) {
    auto tx = store::Transaction::begin(**bare);
    auto stmt = (*bare)->prepare("INSERT INTO t(txn, v) VALUES (?1, ?2)");
    stmt->bind_all(fmt::format("B{}", i), i).run().value();
    tx->commit().value();
  };
  auto commit = [&](int i) {
    if (!service.commit(request(i))) std::abort();
  };
  // Warm up both, then interleave so that machine noise hits both series alike.
  for (int i = 0; i < 20; ++i) insert(-1 - i), commit(1'000'000 + i);
  std::vector<double> bare_us, commit_us;
  for (int round = 0; round < 10; ++round) {
    auto b = measure(n / 10, [&](int i) { insert(round * n + i); });
    auto c = measure(n / 10, [&](int i) { commit(round * n + i); });
    bare_us.insert(bare_us.end(), b.begin(), b.end());
    commit_us.insert(commit_us.end(), c.begin(), c.end());
  }
  auto fb = percentiles(bare_us), fc = percentiles(commit_us);
  std::printf("bench_checkout: %zu samples each, synchronous=FULL, WAL%s\n", bare_us.size(),
              manual_checkpoint ? ", no automatic checkpoints" : "");
  std::printf("  bare single-row insert   p50 %8.0f us   p99 %8.0f us\n", fb.p50_us, fb.p99_us);
  std::printf("  durable checkout commit  p50 %8.0f us   p99 %8.0f us\n", fc.p50_us, fc.p99_us);
  std::printf("  ratio (commit / insert)  p50 %8.2fx     p99 %8.2fx   (goal: within 1.5x)\n",
              fc.p50_us / fb.p50_us, fc.p99_us / fb.p99_us);
  return 0;
}

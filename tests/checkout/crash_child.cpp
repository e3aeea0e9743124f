// checkout_crash_child <db> <ack_fd> <run> <seed> [idle-checkpoint|hq-acks]: commits checkouts on
// a real database file until it is killed, writing each txn id to ack_fd only after commit() has
// returned. On start it first replays the last transactions found in the database (a POS retrying
// after a crash) and reports "BAD <txn>" if a replay is not recognised as one. "hq-acks": after
// most commits, HQ's acknowledgement of every delta but the newest few is applied
// (SqliteSyncStore::acknowledge), so kills also land in the deletion whose triggers move a replay
// record out of its outbox row, and replays hit records on both sides of it.
#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "agent/checkout/checkout_service.h"
#include "agent/store/member_store.h"
#include "agent/store/sync_store_sqlite.h"

using namespace pma;

namespace {

void say(int fd, const std::string& line) {
  std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::_Exit(3);
}

v1::CommitRequest request_for(const std::string& txn_id, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };
  v1::CommitRequest r;
  r.set_txn_id(txn_id);
  r.set_member_id(fmt::format("M{}", pick(0, 4)));
  for (int i = 0, n = static_cast<int>(pick(1, 3)); i < n; ++i) {
    auto* l = r.add_lines();
    l->set_sku(fmt::format("sku{}", pick(0, 9)));
    l->set_qty(pick(1, 3));
    l->set_unit_price_fen(pick(100, 20000));
    l->set_discountable(pick(0, 1) == 1);
    l->set_category("bakery");
  }
  std::int64_t gross = 0;
  for (const auto& l : r.lines()) gross += l.qty() * l.unit_price_fen();
  // 1,000 points (50 yuan) fit under the 50% cap from 200 yuan even at the gold price.
  if (gross >= 20000 && pick(0, 1) == 0) r.set_points_to_burn(1000);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) return 2;
  const std::string path = argv[1];
  const int fd = std::atoi(argv[2]);
  const int run = std::atoi(argv[3]);
  const std::uint64_t seed = std::strtoull(argv[4], nullptr, 10);
  // "idle-checkpoint": no auto-checkpoint; checkpoint_if_needed() after every acknowledged commit
  // with a low threshold, so that kills also land inside checkpoints and WAL rewinds.
  const bool idle_checkpoint = argc == 6 && std::string(argv[5]) == "idle-checkpoint";
  const bool hq_acks = argc == 6 && std::string(argv[5]) == "hq-acks";
  auto db = store::open_store(path, {.wal_autocheckpoint = idle_checkpoint ? 0 : 1000});
  // synchronous = FULL
  if (!db) return 4;
  pma::PhoneHasher hasher("crash-test-key");
  const pma::SystemClock wall_clock;
  const checkout::StoreClock clock(wall_clock, *pma::StoreZone::named("Asia/Shanghai"));
  checkout::CheckoutService service(**db, hasher, {"S1", "T1"}, clock);
  store::MemberStore members(**db, hasher);
  for (int i = 0; i < 5; ++i) {
    std::string id = fmt::format("M{}", i);
    if (members.find_by_id(id, 0).value_or(std::nullopt)) continue;
    if (!members.upsert({.member_id = id, .hq_points = 1'000'000}, 0)) return 5;
  }
  // Replay what the previous run committed last: the request is rebuilt from its txn id.
  std::vector<std::string> previous;
  {
    // With HQ's acks, also an older one whose record has left its outbox row.
    auto last = (*db)->prepare(
        hq_acks ? "SELECT txn FROM (SELECT substr(key, 10) AS txn FROM idempotency WHERE key LIKE "
                  "'checkout:%' ORDER BY created_at DESC, key LIMIT 2) UNION SELECT substr(key, "
                  "10) FROM (SELECT key FROM idempotency WHERE key LIKE 'checkout:%' AND "
                  "outbox_seq IS NULL ORDER BY created_at DESC, key LIMIT 1)"
                : "SELECT substr(key, 10) FROM idempotency WHERE key LIKE 'checkout:%' "
                  "ORDER BY created_at DESC, key LIMIT 2");
    while (last && last->step().value_or(false)) previous.push_back(last->column_text(0));
  }
  for (const auto& txn : previous) {
    auto dash = txn.find('-');
    std::uint64_t txn_seed = std::strtoull(txn.c_str() + dash + 1, nullptr, 10);
    auto reply = service.commit(request_for(txn, txn_seed), checkout::Connectivity::online);
    if (!reply || !reply->replayed) say(fd, "BAD " + txn);
  }
  std::mt19937_64 rng(seed);
  for (int i = 0;; ++i) {
    std::uint64_t txn_seed = rng() % 1'000'000'000;
    std::string txn = fmt::format("K{}x{}-{}", run, i, txn_seed);
    auto reply = service.commit(request_for(txn, txn_seed), checkout::Connectivity::online);
    if (!reply) {
      say(fd, "ERR " + reply.error().code + " " + reply.error().message);
      continue;
    }
    say(fd, txn);
    if (hq_acks && reply->message.outbox_seq() > 3 && rng() % 4 != 0) {
      store::SqliteSyncStore sync(**db);
      if (auto done = sync.acknowledge(reply->message.outbox_seq() - 3, {}); !done) {
        say(fd, "ERR " + done.error().code + " " + done.error().message);
      }
    }
    if (idle_checkpoint) {
      if (auto done = store::checkpoint_if_needed(**db, 20); !done) {
        say(fd, "ERR " + done.error().code + " " + done.error().message);
      }
    }
  }
}

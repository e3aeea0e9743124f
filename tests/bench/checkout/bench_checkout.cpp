// bench_checkout: durable checkout commit (synchronous=FULL, WAL) latency next to a bare durable
// single-row insert (TEXT primary key, same file mode) in the same run, in two WAL regimes:
//   auto: SQLite's auto-checkpoint (every 1000 frames, inside whichever commit crosses it);
//   idle: auto-checkpoint off, store::checkpoint_if_needed(db, 1000) between operations, as
//         memberd's idle timer does (its cost is printed separately, it is not a commit's).
// Both databases get the same regime and are warmed up until their WAL has wrapped once.
// "slow" is the share of operations taking >= 1.5x the bare insert's p50: on a disk whose flush
// time is quantised (this VM: 4 ms), it is steadier than a p99 that sits on a step. Prints
// p50/p90/p99/p99.9/max, their ratios, WAL frames and bytes per operation (what a commit costs an
// eMMC or SD card: every frame is a page plus its 24-byte header, all written and synced) and how
// many operations paid for a checkpoint or a WAL restart. Three series: the bare insert, a member
// checkout (earn, a burn every third, receipt) and a non-member checkout. After the run, 200 more
// operations of each are committed untimed: the pages the first one's WAL frames hold, named by
// B-tree (dbstat), and the pages per operation of each B-tree; then the bytes per row (cell)
// and the pages of the agent database's checkout tables.
// Usage: bench_checkout [n=1000] [--regime=auto|idle] [--only=bare|member|guest]
// [--synchronous=FULL] [--acked]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "agent/checkout/checkout_service.h"
#include "agent/store/member_store.h"
#include "agent/store/sync_store_sqlite.h"
#include "tests/support/temp_dir.h"

using namespace pma;
using Stopwatch = std::chrono::steady_clock;  // timings are intervals, not wall time

namespace {

constexpr int kCheckpointFrames = 1000;

struct Args {
  int n = 1000;
  std::string regime;  // empty: both
  std::string only;    // empty: both series
  std::string synchronous = "FULL";
  bool acked = false;
};

double micros_since(Stopwatch::time_point t0) {
  return std::chrono::duration<double, std::micro>(Stopwatch::now() - t0).count();
}

double at(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size()));
  return sorted[std::min(sorted.size() - 1, i)];
}

// One measured series: latencies plus what the WAL did during each operation.
struct Series {
  std::vector<double> us;
  long frames = 0;              // WAL frames written by the measured operations
  std::vector<int> op_frames;   // the same, per operation (an average hides the spikes)
  int checkpoints = 0;          // operations inside which an auto-checkpoint ran
  int restarts = 0;             // operations that rewound the WAL (header write + fsync)
  std::vector<double> idle_us;  // checkpoint_if_needed() calls that ran (idle regime)

  template <typename F>
  void run(store::Database& db, bool idle, F&& op) {
    int before = db.wal_frames();
    auto t0 = Stopwatch::now();
    op();
    us.push_back(micros_since(t0));
    int after = db.wal_frames();
    const int written = after >= before ? after - before : after;
    frames += written;
    op_frames.push_back(written);
    if (after < before) ++restarts;
    if (!idle && after >= kCheckpointFrames) ++checkpoints;
    if (idle) {
      auto t1 = Stopwatch::now();
      auto done = store::checkpoint_if_needed(db, kCheckpointFrames);
      if (!done) {
        std::fprintf(stderr, "checkpoint: %s\n", done.error().message.c_str());
        std::exit(1);
      }
      if (done->ran) idle_us.push_back(micros_since(t1));
    }
  }

  // slow_us: what counts as slow (1.5x the bare insert's p50), reported as a share of samples.
  // frame_bytes: a WAL frame's size (the page size plus its 24-byte header).
  void print(const char* name, double slow_us, int frame_bytes) {
    std::sort(us.begin(), us.end());
    std::sort(op_frames.begin(), op_frames.end());
    auto slow = us.end() - std::lower_bound(us.begin(), us.end(), slow_us);
    const double per_op = static_cast<double>(frames) / static_cast<double>(us.size());
    std::printf(
        "  %-24s %7.0f %7.0f %7.0f %7.0f %7.0f %6.1f%%   %5.2f frames/op (p99 %d, max %d), %5.1f "
        "KiB/op, %d with checkpoint, %d with WAL restart\n",
        name, at(us, 0.5), at(us, 0.9), at(us, 0.99), at(us, 0.999), us.back(),
        100.0 * static_cast<double>(slow) / static_cast<double>(us.size()), per_op,
        op_frames.empty() ? 0
                          : op_frames[std::min(op_frames.size() - 1, op_frames.size() * 99 / 100)],
        op_frames.empty() ? 0 : op_frames.back(), per_op * frame_bytes / 1024.0, checkpoints,
        restarts);
  }
};

// member: a member checkout (points earned; 1,000 burned every third); else no member.
v1::CommitRequest request(int i, bool member) {
  v1::CommitRequest r;
  r.set_txn_id(fmt::format("{}{}", member ? "B" : "G", i));
  if (member) r.set_member_id(fmt::format("M{}", i % 100));
  for (int k = 0; k < 3; ++k) {
    auto* l = r.add_lines();
    l->set_sku(fmt::format("sku{}", k));
    l->set_qty(1 + k);
    l->set_unit_price_fen(1999 + 1000 * k);
    l->set_discountable(k != 2);
    l->set_category("bakery");
  }
  if (member && i % 3 == 0) r.set_points_to_burn(1000);
  return r;
}

std::int64_t scalar(store::Database& db, std::string_view sql) {
  auto stmt = db.prepare(sql);
  if (!stmt || !stmt->step().value_or(false)) return 0;
  return stmt->column_int64(0);
}

// The page number and B-tree (table or index, by dbstat; "free list" for pages in none) of
// every WAL frame in [first, last) of db.
std::vector<std::pair<std::int64_t, std::string>> pages_in_frames(store::Database& db, int first,
                                                                  int last) {
  const auto page_size = scalar(db, "PRAGMA page_size");
  std::map<std::int64_t, std::string> owner;
  {
    auto stmt = db.prepare("SELECT pageno, name FROM dbstat");
    while (stmt && stmt->step().value_or(false))
      owner[stmt->column_int64(0)] = stmt->column_text(1);
  }
  std::ifstream wal(db.path() + "-wal", std::ios::binary);
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (int f = first; f < last; ++f) {
    // WAL layout: a 32-byte header, then frames of a 24-byte header (page number first, big
    // endian) and the page.
    unsigned char header[4] = {};
    wal.seekg(32 + static_cast<std::streamoff>(f) * (24 + page_size));
    wal.read(reinterpret_cast<char*>(header), 4);
    const std::int64_t page =
        (std::int64_t{header[0]} << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
    auto it = owner.find(page);
    out.emplace_back(page, it == owner.end() ? std::string("free list") : it->second);
  }
  return out;
}

int run_regime(const Args& args, bool idle) {
  test::TempDir dir;
  store::OpenOptions options{.synchronous = args.synchronous,
                             .wal_autocheckpoint = idle ? 0 : kCheckpointFrames};
  auto bare = store::open_store(dir.file("bare.db"), options);
  auto agent = store::open_store(dir.file("agent.db"), options);
  if (!bare || !agent) return 1;
  if (!(*bare)->exec("CREATE TABLE t(txn_id TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID")) {
    return 1;
  }
  pma::PhoneHasher hasher("bench-key");
  const pma::SystemClock wall_clock;
  const checkout::StoreClock clock(wall_clock, *pma::StoreZone::named("Asia/Shanghai"));
  checkout::CheckoutService service(**agent, hasher, {"S1", "T1"}, clock);
  store::MemberStore members(**agent, hasher);
  for (int i = 0; i < 100; ++i) {
    if (!members.upsert({.member_id = fmt::format("M{}", i), .hq_points = 1'000'000}, 0)) return 1;
  }
  auto insert = [&](int i) {
    auto tx = store::Transaction::begin(**bare);
    auto stmt = (*bare)->prepare("INSERT INTO t(txn_id, v) VALUES (?1, ?2)");
    stmt->bind_all(fmt::format("B{}", i), i).run().value();
    tx->commit().value();
  };
  auto commit = [&](int i, bool member) {
    // Built outside the timed region: the POS sends the request, the agent parses it first.
    auto r = request(i, member);
    return [&service, r = std::move(r)] {
      if (!service.commit(r, checkout::Connectivity::online)) std::abort();
    };
  };
  const bool do_bare = args.only.empty() || args.only == "bare";
  const bool do_member = args.only.empty() || args.only == "member" || args.only == "commit";
  const bool do_guest = args.only.empty() || args.only == "guest";
  // Warm up each database until its WAL has been rewound once: from then on commits overwrite
  // WAL blocks in place instead of growing the file (whose fdatasync must also journal the new
  // size), as in a daemon that has been running for a while. Statements are prepared by then.
  auto warm_up = [&](store::Database& db, auto&& op) {
    for (int i = 0, restarts = 0; restarts == 0 || i < 20; ++i) {
      int before = db.wal_frames();
      op(i);
      if (idle) (void)store::checkpoint_if_needed(db, kCheckpointFrames);
      if (db.wal_frames() < before) ++restarts;
    }
  };
  if (do_bare) warm_up(**bare, [&](int i) { insert(-1 - i); });
  if (do_member || do_guest) {
    warm_up(**agent, [&](int i) { commit(1'000'000 + i, do_member && (!do_guest || i % 2))(); });
  }
  // Then interleave rounds so that machine noise hits every series alike.
  Series b, c, g;
  const int per_round = std::max(1, args.n / 10);
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; do_bare && i < per_round; ++i) {
      b.run(**bare, idle, [&] { insert(round * per_round + i); });
    }
    for (int i = 0; do_member && i < per_round; ++i) {
      auto op = commit(round * per_round + i, true);
      c.run(**agent, idle, op);
    }
    for (int i = 0; do_guest && i < per_round; ++i) {
      auto op = commit(round * per_round + i, false);
      g.run(**agent, idle, op);
    }
    // --acked: HQ acknowledges the round's deltas (untimed, uncounted), as a till that syncs
    // does: the replay records then fill the idempotency B-tree (~260-byte cells instead of
    // ~30-byte keys) that later commits insert their keys into.
    if (args.acked && round < 9) {
      store::SqliteSyncStore sync(**agent);
      const auto last = scalar(**agent, "SELECT COALESCE(MAX(seq), 0) FROM outbox");
      if (last > 0 && !sync.acknowledge(static_cast<std::uint64_t>(last), {})) std::abort();
    }
  }
  std::printf("\n%s regime: %d samples each, synchronous=%s, WAL, %s\n", idle ? "idle" : "auto",
              per_round * 10, args.synchronous.c_str(),
              idle ? "auto-checkpoint off, checkpoint_if_needed(db, 1000) between operations"
                   : "SQLite auto-checkpoint at 1000 frames (inside commits)");
  for (auto* s : {&b, &c, &g}) std::sort(s->us.begin(), s->us.end());
  const Series& first = do_bare ? b : do_member ? c : g;
  const double slow_us = 1.5 * at(first.us, 0.5);
  const int frame_bytes = 24 + static_cast<int>(scalar(**agent, "PRAGMA page_size"));
  std::printf("  %-24s %7s %7s %7s %7s %7s %7s   (us; slow: >= %.0f us)\n", "", "p50", "p90", "p99",
              "p99.9", "max", "slow", slow_us);
  if (do_bare) b.print("bare single-row insert", slow_us, frame_bytes);
  if (do_member) c.print("member checkout commit", slow_us, frame_bytes);
  if (do_guest) g.print("non-member checkout", slow_us, frame_bytes);
  for (const auto* s : {&c, &g}) {
    if (!do_bare || s->us.empty()) continue;
    std::printf("  %-24s %6.2fx %6.2fx %6.2fx %6.2fx %6.2fx   (goal: p99 within 1.5x)\n",
                s == &c ? "ratio member / insert" : "ratio non-member / insert",
                at(s->us, 0.5) / at(b.us, 0.5), at(s->us, 0.9) / at(b.us, 0.9),
                at(s->us, 0.99) / at(b.us, 0.99), at(s->us, 0.999) / at(b.us, 0.999),
                s->us.back() / b.us.back());
  }
  // 200 more operations of each, untimed: the pages one of them wrote, and how many pages of
  // each B-tree an operation writes on average (a B-tree page split writes several).
  auto show_pages = [&](const char* name, store::Database& db, auto&& op_of) {
    constexpr int kOps = 200;
    std::map<std::string, int> tally;
    std::string sample;
    for (int i = 0; i < kOps; ++i) {
      if (idle) (void)store::checkpoint_if_needed(db, kCheckpointFrames);
      const int before = db.wal_frames();
      op_of(i)();
      const int after = db.wal_frames();
      for (const auto& [page, tree] : pages_in_frames(db, after >= before ? before : 0, after)) {
        ++tally[tree];
        if (i == 0) sample += fmt::format("{}{} ({})", sample.empty() ? "" : ", ", page, tree);
      }
    }
    std::string average;
    for (const auto& [tree, n] : tally) {
      average += fmt::format("{}{} {:.2f}", average.empty() ? "" : ", ", tree,
                             static_cast<double>(n) / kOps);
    }
    std::printf("  pages of one %s: %s\n    per operation, by B-tree: %s\n", name, sample.c_str(),
                average.c_str());
  };
  if (do_bare) {
    show_pages("bare insert", **bare,
               [&](int i) { return [&insert, i] { insert(-100'000 - i); }; });
  }
  if (do_member) {
    show_pages("member checkout", **agent, [&](int i) { return commit(2'000'000 + i, true); });
  }
  if (do_guest) {
    show_pages("non-member checkout", **agent, [&](int i) { return commit(2'000'000 + i, false); });
  }
  // HQ's acknowledgements are writes too (since migration 9 they also move each checkout's
  // replay record into its idempotency row): one delta per ack as a trickle sync does with a
  // till selling slowly, then the rest in one batch. A checkout's lifetime cost is its commit
  // plus its share of an ack.
  if (do_member || do_guest) {
    store::SqliteSyncStore sync(**agent);
    std::vector<std::int64_t> seqs;
    auto pending = (*agent)->prepare("SELECT seq FROM outbox ORDER BY seq LIMIT 200");
    while (pending && pending->step().value_or(false)) seqs.push_back(pending->column_int64(0));
    Series acks;
    std::map<std::string, int> tally;
    for (std::int64_t seq : seqs) {
      const int before = (*agent)->wal_frames();
      acks.run(**agent, idle, [&] {
        if (!sync.acknowledge(static_cast<std::uint64_t>(seq), {})) std::abort();
      });
      const int after = (*agent)->wal_frames();
      if (!idle) {  // (idle: the checkpoint after the ack has rewound the WAL already)
        for (const auto& [page, tree] :
             pages_in_frames(**agent, after >= before ? before : 0, after)) {
          ++tally[tree];
        }
      }
    }
    if (!acks.us.empty()) {
      acks.print("ack of one delta", slow_us, frame_bytes);
      std::string average;
      for (const auto& [tree, n] : tally) {
        average += fmt::format("{}{} {:.2f}", average.empty() ? "" : ", ", tree,
                               static_cast<double>(n) / static_cast<double>(seqs.size()));
      }
      if (!average.empty()) std::printf("    per ack, by B-tree: %s\n", average.c_str());
    }
    const std::int64_t rest = scalar(**agent, "SELECT COUNT(*) FROM outbox");
    const std::int64_t last = scalar(**agent, "SELECT MAX(seq) FROM outbox");
    if (rest > 0) {
      if (idle) (void)store::checkpoint_if_needed(**agent, kCheckpointFrames);
      const int before = (*agent)->wal_frames();
      if (!sync.acknowledge(static_cast<std::uint64_t>(last), {})) std::abort();
      const int after = (*agent)->wal_frames();
      const int written = after >= before ? after - before : after;
      std::printf("  ack of %lld deltas at once: %d frames, %.3f frames per delta\n",
                  static_cast<long long>(rest), written,
                  static_cast<double>(written) / static_cast<double>(rest));
    }
  }
  // What the rows cost: a leaf holds a row up to ~1 KB (WITHOUT ROWID) or ~4 KB (rowid table)
  // inline; beyond, the row spills into overflow pages, each one more frame per commit.
  std::string sizes;
  auto stat = (*agent)->prepare(
      "SELECT name, ncell, payload, pgsize / (SELECT page_size FROM pragma_page_size()) FROM "
      "dbstat WHERE aggregate = TRUE AND name IN ('outbox', 'idempotency', 'ledger', "
      "'checkout_txns') ORDER BY name");
  while (stat && stat->step().value_or(false)) {
    const auto cells = std::max<std::int64_t>(1, stat->column_int64(1));
    sizes +=
        fmt::format("{}{} {} B/cell ({} pages)", sizes.empty() ? "" : ", ", stat->column_text(0),
                    stat->column_int64(2) / cells, stat->column_int64(3));
  }
  std::printf("  agent db B-trees: %s\n", sizes.c_str());
  for (auto* s : {&b, &c, &g}) {
    if (s->idle_us.empty()) continue;
    std::sort(s->idle_us.begin(), s->idle_us.end());
    std::printf("  idle checkpoint (%s db): %zu runs, p50 %.0f us, max %.0f us\n",
                s == &b   ? "bare"
                : s == &c ? "agent, member"
                          : "agent, non-member",
                s->idle_us.size(), at(s->idle_us, 0.5), s->idle_us.back());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.starts_with("--regime=")) {
      args.regime = a.substr(9);
    } else if (a.starts_with("--only=")) {
      args.only = a.substr(7);
    } else if (a.starts_with("--synchronous=")) {
      args.synchronous = a.substr(14);
    } else if (a == "--acked") {
      args.acked = true;
    } else if (a == "--manual-checkpoint") {
      args.regime = "idle";  // the former flag's name
    } else {
      args.n = std::atoi(a.c_str());
    }
  }
  if (args.n < 10) args.n = 10;
  for (bool idle : {false, true}) {
    if (!args.regime.empty() && args.regime != (idle ? "idle" : "auto")) continue;
    if (int rc = run_regime(args, idle); rc != 0) return rc;
  }
  return 0;
}

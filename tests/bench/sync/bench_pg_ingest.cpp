// HQ ingest straight into each sink (no TLS, no sessions: the sink's own cost): S terminals x B
// batches x D checkouts over M members, the SQLite sink (synchronous=NORMAL) and the PostgreSQL
// sink on a throwaway local cluster (fsync and synchronous_commit off, as tests run it), with
// 1 and 2 nodes (threads, one connection each, terminals split between them). Prints deltas/s;
// asserts nothing. Usage: bench_pg_ingest [terminals] [batches] [deltas_per_batch]
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sync/hq/pg_sink.h"
#include "sync/hq/sqlite_sink.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace {

constexpr std::int64_t kNow = 1'790'000'000'000;
constexpr int kMembers = 10'000;

pma::v1::Batch batch_for(int terminal, int batch, int per_batch) {
  pma::v1::Batch out;
  for (int i = 0; i < per_batch; ++i) {
    const std::uint64_t seq = static_cast<std::uint64_t>(batch * per_batch + i + 1);
    auto* d = out.add_deltas();
    d->set_seq(seq);
    d->set_txn_id(fmt::format("T{}-{}", terminal, seq));
    d->set_occurred_at_ms(kNow);
    auto* c = d->mutable_checkout();
    c->set_member_id(fmt::format("M{}", (terminal * 7919 + static_cast<int>(seq)) % kMembers));
    c->set_gross_fen(1000);
    c->set_paid_fen(1000);
    c->set_points_earned(10);
  }
  return out;
}

void import(pma::hq::Sink& sink) {
  std::vector<pma::hq::ImportedMember> members;
  for (int i = 0; i < kMembers; ++i)
    members.push_back({fmt::format("M{}", i), "", {}, "", "", "", 1, 0});
  if (!sink.import_members(members)) std::abort();
}

// Applies the terminals [first, last) in turn, batch by batch; returns deltas applied.
std::uint64_t ingest(pma::hq::Sink& sink, int first, int last, int batches, int per_batch) {
  std::uint64_t applied = 0;
  for (int b = 0; b < batches; ++b) {
    for (int t = first; t < last; ++t) {
      auto outcome =
          sink.apply_batch({fmt::format("S{}", t), "T1"}, batch_for(t, b, per_batch), kNow);
      if (!outcome) {
        fmt::print(stderr, "{}: {}\n", outcome.error().code, outcome.error().message);
        std::exit(1);
      }
      applied += outcome->applied;
    }
  }
  return applied;
}

void report(const std::string& what, std::uint64_t deltas, std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  fmt::print("{:<40} {:>8} deltas in {:>6.2f} s: {:>9.0f} deltas/s\n", what, deltas, s,
             static_cast<double>(deltas) / s);
}

}  // namespace

int main(int argc, char** argv) {
  const int terminals = argc > 1 ? std::atoi(argv[1]) : 40;
  const int batches = argc > 2 ? std::atoi(argv[2]) : 10;
  const int per_batch = argc > 3 ? std::atoi(argv[3]) : 50;
  fmt::print("{} terminals x {} batches x {} checkouts, {} members\n", terminals, batches,
             per_batch, kMembers);
  {
    pma::test::TempDir dir;
    auto sink = pma::hq::SqliteSink::open(dir.file("hq.db"), "NORMAL");
    if (!sink) return 1;
    import(**sink);
    const auto start = std::chrono::steady_clock::now();
    const auto n = ingest(**sink, 0, terminals, batches, per_batch);
    report("SQLite sink (synchronous=NORMAL)", n, std::chrono::steady_clock::now() - start);
  }
  if (!pma::test::PgCluster::available()) {
    fmt::print("PostgreSQL 15 not installed: its figures skipped\n");
    return 0;
  }
  auto& cluster = pma::test::PgCluster::shared();
  for (int nodes : {1, 2}) {
    const std::string uri = cluster.create_database(fmt::format("bench_{}", nodes));
    std::vector<std::unique_ptr<pma::hq::PgSink>> sinks;
    for (int i = 0; i < nodes; ++i) {
      auto sink = pma::hq::PgSink::open(uri);
      if (!sink) {
        fmt::print(stderr, "{}\n", sink.error().message);
        return 1;
      }
      sinks.push_back(std::move(*sink));
    }
    import(*sinks[0]);
    std::atomic<std::uint64_t> total{0};
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::jthread> threads;
    for (int i = 0; i < nodes; ++i) {
      threads.emplace_back([&, i] {
        total += ingest(*sinks[static_cast<std::size_t>(i)], terminals * i / nodes,
                        terminals * (i + 1) / nodes, batches, per_batch);
      });
    }
    threads.clear();  // joins
    report(fmt::format("PostgreSQL sink, {} node(s)", nodes), total,
           std::chrono::steady_clock::now() - start);
  }
  return 0;
}

// bench_sync: wire bytes per checkout delta vs an SQLite session changeset, HQ ingest rate with
// 100 concurrent simulated stores, and the downstream apply rate of 1,000,000 members with the
// p99 of lookups served meanwhile. Prints figures; not a test.
// Usage: bench_sync [deltas_per_store=10000] [members=1000000] [spend_months=0]
// spend_months: the monthly spend buckets (MemberDelta.spend_months) sent with every member.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <ctime>
#include <random>
#include <thread>

#include "agent/store/member_store.h"
#include "agent/store/sync_store_sqlite.h"
#include "sync/hq/ca.h"
#include "sync/hq/server.h"
#include "sync/hq/sqlite_sink.h"
#include "sync/net/frame_stream.h"
#include "sync/wire/delta_columns.h"
#include "sync/wire/messages.h"
#include "tests/bench/sync/session_changeset.h"
#include "tests/support/temp_dir.h"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// CPU seconds the calling thread has used: what a figure costs whatever else the machine runs.
double thread_cpu_s() {
  timespec cpu{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
  return static_cast<double>(cpu.tv_sec) + static_cast<double>(cpu.tv_nsec) / 1e9;
}

// A store's day as the till records it: about 70% of checkouts by one of 3,000 regulars (ids
// spread over a chain-wide member base), a basket of 1-4 items from a 40-price list, the
// member's tier discount (100/95/90/85%), 1 point per yuan paid, a checkout every ~45 s on
// average (exponential gaps, ms precision) and txn ids POS-<store>-<n> with the odd number
// skipped (voided sales).
constexpr const char* kDataDescription =
    "a store's day: 70% member checkouts by 3,000 regulars, baskets of 1-4 items from a "
    "40-price list, tier discounts, 1 pt/yuan, ~45 s apart, txn ids POS-<store>-<n>";

// store: the store number (its regulars and txn ids); seed varies the rest.
std::vector<pma::bench::CheckoutRow> make_checkouts(int n, int store, std::uint64_t seed,
                                                    int with_lines = 0) {
  std::mt19937_64 members_random(static_cast<std::uint64_t>(store) * 7919 + 17);
  std::mt19937_64 random(seed);
  std::vector<std::int64_t> prices;
  for (int i = 0; i < 40; ++i)
    prices.push_back(300 + 100 * static_cast<std::int64_t>(random() % 60));
  struct Regular {
    std::string id;
    int tier_percent;
  };
  std::vector<Regular> regulars;
  constexpr int kTierPercent[] = {100, 100, 95, 90, 85};
  for (int i = 0; i < 3000; ++i) {
    regulars.push_back(
        {fmt::format("M{:08}", members_random() % 5'000'000), kTierPercent[members_random() % 5]});
  }
  std::exponential_distribution<double> gap_s(1.0 / 45.0);
  std::vector<pma::bench::CheckoutRow> rows;
  std::int64_t t = 1'764'000'000'000;
  std::int64_t txn = 100'000;
  for (int i = 1; i <= n; ++i) {
    t += static_cast<std::int64_t>(gap_s(random) * 1000.0) + 1;
    txn += random() % 20 == 0 ? 2 : 1;
    pma::bench::CheckoutRow r{i, fmt::format("POS-S{:04}-{}", store, txn), "", t, 0, 0, 0, 0, 3,
                              {}};
    int items = 1 + static_cast<int>(random() % 4);
    for (int k = 0; k < items; ++k) {
      std::size_t p = random() % prices.size();
      std::int64_t qty = random() % 4 == 0 ? 2 : 1;
      r.gross_fen += prices[p] * qty;
      if (k < with_lines)
        r.lines.push_back({fmt::format("SKU{:04}", p * 7 + 1000), qty, prices[p]});
    }
    int percent = 100;
    if (random() % 10 < 7) {
      const Regular& m = regulars[random() % regulars.size()];
      r.member_id = m.id;
      percent = m.tier_percent;
    }
    r.tier_discount_fen = r.gross_fen - r.gross_fen * percent / 100;
    r.paid_fen = r.gross_fen - r.tier_discount_fen;
    r.points_earned = r.member_id.empty() ? 0 : r.paid_fen / 100;
    rows.push_back(std::move(r));
  }
  return rows;
}

pma::v1::Delta to_delta(const pma::bench::CheckoutRow& r) {
  pma::v1::Delta d;
  d.set_seq(static_cast<std::uint64_t>(r.seq));
  d.set_txn_id(r.txn_id);
  d.set_occurred_at_ms(r.occurred_at_ms);
  auto* c = d.mutable_checkout();
  c->set_member_id(r.member_id);
  c->set_gross_fen(r.gross_fen);
  c->set_tier_discount_fen(r.tier_discount_fen);
  c->set_paid_fen(r.paid_fen);
  c->set_points_earned(r.points_earned);
  c->set_rule_set_version(r.rule_set_version);
  for (const auto& l : r.lines) {
    auto* line = c->add_lines();
    line->set_sku(l.sku);
    line->set_qty(l.qty);
    line->set_unit_price_fen(l.unit_price_fen);
    line->set_category("bakery");
    line->set_discountable(true);
    line->set_paid_fen(l.qty * l.unit_price_fen);
  }
  return d;
}

void bench_bytes() {
  constexpr int kBatch = 1000, kBatches = 10;
  auto rows = make_checkouts(kBatch * kBatches, 42, 1);
  std::size_t raw = 0, z3 = 0, z19 = 0, col_raw = 0, col3 = 0, col19 = 0, cs_raw = 0, cs_z3 = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<pma::bench::CheckoutRow> slice(rows.begin() + b * kBatch,
                                               rows.begin() + (b + 1) * kBatch);
    pma::v1::Batch batch;
    for (const auto& r : slice) *batch.add_deltas() = to_delta(r);
    raw += batch.ByteSizeLong();
    z3 += pma::wire::encode_batch(batch, false, 3).size();
    z19 += pma::wire::encode_batch(batch, false, 19).size();
    pma::v1::Batch packed = batch;
    pma::wire::pack_checkouts(packed);
    col_raw += packed.ByteSizeLong();
    col3 += pma::wire::encode_batch(batch, true, 3).size();
    col19 += pma::wire::encode_batch(batch, true, 19).size();
    auto changeset = pma::bench::session_changeset(slice);
    cs_raw += changeset.size();
    cs_z3 += pma::wire::zstd_compress(changeset, 3).size();
  }
  // The same day with the basket lines (sku, qty, price, category, paid) the engine also sends.
  std::size_t lines_z3 = 0, lines_col3 = 0;
  auto with_lines = make_checkouts(kBatch * kBatches, 42, 1, 4);
  for (int b = 0; b < kBatches; ++b) {
    pma::v1::Batch batch;
    for (int i = b * kBatch; i < (b + 1) * kBatch; ++i) {
      *batch.add_deltas() = to_delta(with_lines[static_cast<std::size_t>(i)]);
    }
    lines_z3 += pma::wire::encode_batch(batch, false, 3).size();
    lines_col3 += pma::wire::encode_batch(batch, true, 3).size();
  }
  double n = kBatch * kBatches;
  fmt::print("== bytes per checkout delta ({} checkouts, batches of {}; goal <= 10 B) ==\n",
             kBatch * kBatches, kBatch);
  fmt::print("  data: {}\n", kDataDescription);
  fmt::print("  plain Delta records, uncompressed     {:7.1f} B\n", raw / n);
  fmt::print("  plain Delta records, zstd level 3     {:7.1f} B   (protocol 1)\n", z3 / n);
  fmt::print("  plain Delta records, zstd level 19    {:7.1f} B\n", z19 / n);
  fmt::print("  checkout columns, uncompressed        {:7.1f} B\n", col_raw / n);
  fmt::print("  checkout columns, zstd level 3        {:7.1f} B   (what the client sends)\n",
             col3 / n);
  fmt::print("  checkout columns, zstd level 19       {:7.1f} B\n", col19 / n);
  fmt::print("  session changeset, raw                {:7.1f} B   (checkouts + ledger rows)\n",
             cs_raw / n);
  fmt::print("  session changeset, zstd level 3       {:7.1f} B\n", cs_z3 / n);
  fmt::print(
      "  with basket lines (1-4 per checkout): plain zstd 3 {:.1f} B, columns zstd 3 {:.1f} B\n",
      lines_z3 / n, lines_col3 / n);
}

asio::awaitable<void> simulated_store(ssl::context& tls, std::uint16_t port,
                                      const std::vector<std::vector<std::uint8_t>>& frames,
                                      std::atomic<int>& failures) {
  ssl::stream<tcp::socket> stream(co_await asio::this_coro::executor, tls);
  auto [cec] = co_await stream.lowest_layer().async_connect(
      {asio::ip::make_address("127.0.0.1"), port}, asio::as_tuple(asio::use_awaitable));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client,
                                               asio::as_tuple(asio::use_awaitable));
  if (cec || hec) {
    ++failures;
    co_return;
  }
  auto hello = pma::wire::encode_message(pma::wire::FrameType::hello, pma::v1::Hello());
  (void)co_await pma::net::write_frame(stream, hello);
  auto handshake = co_await pma::net::read_frame(stream, 1u << 20);
  if (!handshake || handshake->type != pma::wire::FrameType::handshake) {
    ++failures;
    co_return;
  }
  for (const auto& frame : frames) {
    (void)co_await pma::net::write_frame(stream, frame);
    auto ack = co_await pma::net::read_frame(stream, 1u << 20);
    if (!ack || ack->type != pma::wire::FrameType::ack) {
      ++failures;
      co_return;
    }
  }
  auto bye = pma::wire::encode_message(pma::wire::FrameType::bye, pma::v1::Bye());
  (void)co_await pma::net::write_frame(stream, bye);
}

void bench_ingest(int deltas_per_store) {
  constexpr int kStores = 100, kBatch = 1000;
  pma::test::TempDir dir;
  std::string ca = dir.file("ca");
  if (!pma::hq::init_ca(ca)) throw std::runtime_error("ca init failed");
  auto sink = pma::hq::SqliteSink::open(dir.file("hq.db"), "NORMAL");
  if (!sink) throw std::runtime_error(sink.error().message);
  asio::io_context hq_io;
  pma::hq::ServerConfig config;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  config.max_sessions = 200;
  config.tls = {ca + "/ca.crt", ca + "/server.crt", ca + "/server.key"};
  const pma::SystemClock wall_clock;
  pma::hq::Server server(hq_io, **sink, config, wall_clock);
  auto port = server.start();
  if (!port) throw std::runtime_error(port.error().message);
  // Each store its own day and its own 3,000 regulars (300,000 members at HQ in all).
  std::vector<std::vector<std::vector<std::uint8_t>>> frames(kStores);
  for (int s = 0; s < kStores; ++s) {
    auto rows = make_checkouts(deltas_per_store, s, 2 + static_cast<std::uint64_t>(s));
    for (int i = 0; i < deltas_per_store; i += kBatch) {
      pma::v1::Batch batch;
      for (int j = i; j < std::min(deltas_per_store, i + kBatch); ++j) {
        *batch.add_deltas() = to_delta(rows[static_cast<std::size_t>(j)]);
      }
      frames[static_cast<std::size_t>(s)].push_back(pma::wire::encode_batch(batch, true));
    }
  }
  std::vector<std::shared_ptr<ssl::context>> contexts;
  for (int s = 0; s < kStores; ++s) {
    auto cert = pma::hq::issue_terminal_cert(ca, fmt::format("S{:03}", s), "T1", dir.file("certs"));
    auto tls = pma::net::make_client_context({ca + "/ca.crt", cert->cert_file, cert->key_file});
    contexts.push_back(*tls);
  }
  double hq_cpu_s = 0;
  std::thread hq_thread([&] {
    hq_io.run();
    hq_cpu_s = thread_cpu_s();
  });
  asio::io_context stores_io;
  std::atomic<int> failures = 0;
  auto start = Clock::now();
  for (int s = 0; s < kStores; ++s) {
    asio::co_spawn(stores_io,
                   simulated_store(*contexts[static_cast<std::size_t>(s)], *port,
                                   frames[static_cast<std::size_t>(s)], failures),
                   asio::detached);
  }
  stores_io.run();
  double elapsed = seconds_since(start);
  asio::post(hq_io, [&] { server.stop(); });
  hq_io.stop();
  hq_thread.join();
  double total = static_cast<double>(server.stats().deltas_applied);
  fmt::print(
      "== HQ ingest: {} concurrent stores x {} checkout deltas (columnar batches of {}) ==\n",
      kStores, deltas_per_store, kBatch);
  fmt::print("  data: each store {}\n", kDataDescription);
  fmt::print(
      "  applied {:.0f} deltas in {:.2f} s: {:.0f} deltas/s (goal >= 100000), "
      "{} failed stores\n",
      total, elapsed, total / elapsed, failures.load());
  // CPU time of HQ's one thread: what HQ itself can take, whatever else runs on the machine.
  fmt::print("  HQ thread CPU {:.2f} s: {:.0f} deltas per CPU-second\n", hq_cpu_s,
             hq_cpu_s > 0 ? total / hq_cpu_s : 0.0);
}

void bench_apply(int members, int spend_months) {
  constexpr int kPage = 2000;
  pma::test::TempDir dir;
  std::string path = dir.file("agent.db");
  auto db = pma::store::open_store(path);
  if (!db) throw std::runtime_error(db.error().message);
  pma::store::SqliteSyncStore store(**db);
  std::atomic<bool> done = false;
  std::atomic<int> applied = 0;
  std::vector<double> latencies_ms;
  std::thread lookups([&] {
    auto reader = pma::store::Database::open(path);
    pma::PhoneHasher hasher("k");
    pma::store::MemberStore cache(**reader, hasher);
    std::mt19937 random(5);
    while (!done) {
      int upto = std::max(1, applied.load());
      std::string card = fmt::format("886{:013}", random() % static_cast<unsigned>(upto));
      auto t0 = Clock::now();
      auto found = cache.find_by_card(card, 0);
      latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (!found) break;
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  });
  std::vector<double> page_ms;
  const double cpu_before = thread_cpu_s();
  auto start = Clock::now();
  for (int first = 0; first < members; first += kPage) {
    pma::v1::MemberPage page;
    for (int i = first; i < std::min(members, first + kPage); ++i) {
      auto* m = page.add_members();
      m->set_member_id(fmt::format("M{:08}", i));
      m->set_version(static_cast<std::uint64_t>(i + 1));
      m->set_card_no(fmt::format("886{:013}", i));
      m->set_phone_masked("138****0000");
      m->set_name("Member");
      m->set_tier(1 + i % 3);
      m->set_points(i % 5000);
      for (int k = 0; k < spend_months; ++k) {
        auto* bucket = m->add_spend_months();
        bucket->set_month(676 - k);
        bucket->set_fen(1000 + (i + k) % 50'000);
      }
    }
    page.set_next_cursor(static_cast<std::uint64_t>(std::min(members, first + kPage)));
    auto t0 = Clock::now();
    if (auto ok = store.apply_member_page(page, 0); !ok) {
      throw std::runtime_error(ok.error().message);
    }
    page_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    applied = first + page.members_size();
  }
  double elapsed = seconds_since(start);
  const double apply_cpu_s = thread_cpu_s() - cpu_before;
  done = true;
  lookups.join();
  auto pct = [](std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  fmt::print("== downstream apply: {} members, pages of {} (one transaction each){} ==\n", members,
             kPage, spend_months > 0 ? fmt::format(", {} spend months each", spend_months) : "");
  fmt::print("  {:.0f} rows/s (goal >= 200000); page commit p50 {:.1f} ms, p99 {:.1f} ms\n",
             members / elapsed, pct(page_ms, 0.5), pct(page_ms, 0.99));
  fmt::print("  applying thread CPU {:.2f} s: {:.0f} rows per CPU-second\n", apply_cpu_s,
             apply_cpu_s > 0 ? members / apply_cpu_s : 0.0);
  fmt::print(
      "  {} card lookups meanwhile (second connection): p50 {:.3f} ms, p99 {:.3f} ms "
      "(goal <= 5 ms), max {:.3f} ms\n",
      latencies_ms.size(), pct(latencies_ms, 0.5), pct(latencies_ms, 0.99), pct(latencies_ms, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::err);
  int deltas_per_store = argc > 1 ? std::atoi(argv[1]) : 10000;
  int members = argc > 2 ? std::atoi(argv[2]) : 1000000;
  bench_bytes();
  bench_ingest(deltas_per_store);
  int spend_months = argc > 3 ? std::atoi(argv[3]) : 0;
  bench_apply(members, spend_months);
  return 0;
}

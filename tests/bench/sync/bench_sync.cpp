// bench_sync: wire bytes per checkout delta vs an SQLite session changeset, HQ ingest rate with
// 100 concurrent simulated stores, and the downstream apply rate of 1,000,000 members with the
// p99 of lookups served meanwhile. Prints figures; not a test.
// Usage: bench_sync [deltas_per_store=10000] [members=1000000]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "hq/ca.h"
#include "hq/server.h"
#include "hq/sqlite_sink.h"
#include "net/frame_stream.h"
#include "session_changeset.h"
#include "store/member_store.h"
#include "store/sync_store_sqlite.h"
#include "support/temp_dir.h"
#include "wire/messages.h"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::vector<pma::bench::CheckoutRow> make_checkouts(int n, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::vector<pma::bench::CheckoutRow> rows;
  std::int64_t t = 1'764'000'000'000;
  for (int i = 1; i <= n; ++i) {
    t += 5'000 + static_cast<std::int64_t>(random() % 60'000);
    std::int64_t gross = 500 + static_cast<std::int64_t>(random() % 30'000);
    rows.push_back({i, fmt::format("S0042-T1-{:08}", i), fmt::format("M{:07}", random() % 200'000),
                    t, gross, gross, gross / 100, 3});
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
  c->set_paid_fen(r.paid_fen);
  c->set_points_earned(r.points_earned);
  c->set_rule_set_version(r.rule_set_version);
  return d;
}

void bench_bytes() {
  constexpr int kBatch = 1000, kBatches = 10;
  auto rows = make_checkouts(kBatch * kBatches, 1);
  std::size_t raw = 0, z3 = 0, z19 = 0, cs_raw = 0, cs_z3 = 0;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<pma::bench::CheckoutRow> slice(rows.begin() + b * kBatch,
                                               rows.begin() + (b + 1) * kBatch);
    pma::v1::Batch batch;
    for (const auto& r : slice) *batch.add_deltas() = to_delta(r);
    raw += batch.ByteSizeLong();
    z3 += pma::wire::encode_message(pma::wire::FrameType::batch, batch, 3).size();
    z19 += pma::wire::encode_message(pma::wire::FrameType::batch, batch, 19).size();
    auto changeset = pma::bench::session_changeset(slice);
    cs_raw += changeset.size();
    cs_z3 += pma::wire::zstd_compress(changeset, 3).size();
  }
  double n = kBatch * kBatches;
  fmt::print("== bytes per checkout delta ({} checkouts, batches of {}; goal <= 10 B) ==\n",
             kBatch * kBatches, kBatch);
  fmt::print("  wire protobuf, uncompressed      {:7.1f} B\n", raw / n);
  fmt::print("  wire frame, zstd level 3         {:7.1f} B   (what the client sends)\n", z3 / n);
  fmt::print("  wire frame, zstd level 19        {:7.1f} B\n", z19 / n);
  fmt::print("  session changeset, raw           {:7.1f} B   (checkouts + ledger rows)\n",
             cs_raw / n);
  fmt::print("  session changeset, zstd level 3  {:7.1f} B\n", cs_z3 / n);
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
  pma::hq::Server server(hq_io, **sink, config);
  auto port = server.start();
  if (!port) throw std::runtime_error(port.error().message);
  // The same batches for every store: seqs are per terminal.
  auto rows = make_checkouts(deltas_per_store, 2);
  std::vector<std::vector<std::uint8_t>> frames;
  for (int i = 0; i < deltas_per_store; i += kBatch) {
    pma::v1::Batch batch;
    for (int j = i; j < std::min(deltas_per_store, i + kBatch); ++j) {
      *batch.add_deltas() = to_delta(rows[static_cast<std::size_t>(j)]);
    }
    frames.push_back(pma::wire::encode_message(pma::wire::FrameType::batch, batch));
  }
  std::vector<std::shared_ptr<ssl::context>> contexts;
  for (int s = 0; s < kStores; ++s) {
    auto cert = pma::hq::issue_terminal_cert(ca, fmt::format("S{:03}", s), "T1", dir.file("certs"));
    auto tls = pma::net::make_client_context({ca + "/ca.crt", cert->cert_file, cert->key_file});
    contexts.push_back(*tls);
  }
  std::thread hq_thread([&] { hq_io.run(); });
  asio::io_context stores_io;
  std::atomic<int> failures = 0;
  auto start = Clock::now();
  for (auto& tls : contexts) {
    asio::co_spawn(stores_io, simulated_store(*tls, *port, frames, failures), asio::detached);
  }
  stores_io.run();
  double elapsed = seconds_since(start);
  asio::post(hq_io, [&] { server.stop(); });
  hq_io.stop();
  hq_thread.join();
  double total = static_cast<double>(server.stats().deltas_applied);
  fmt::print("== HQ ingest: {} concurrent stores x {} deltas (batches of {}) ==\n", kStores,
             deltas_per_store, kBatch);
  fmt::print(
      "  applied {:.0f} deltas in {:.2f} s: {:.0f} deltas/s (goal >= 100000), "
      "{} failed stores\n",
      total, elapsed, total / elapsed, failures.load());
}

void bench_apply(int members) {
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
    pma::store::PhoneHasher hasher("k");
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
  done = true;
  lookups.join();
  auto pct = [](std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  fmt::print("== downstream apply: {} members, pages of {} (one transaction each) ==\n", members,
             kPage);
  fmt::print("  {:.0f} rows/s (goal >= 200000); page commit p50 {:.1f} ms, p99 {:.1f} ms\n",
             members / elapsed, pct(page_ms, 0.5), pct(page_ms, 0.99));
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
  bench_apply(members);
  return 0;
}

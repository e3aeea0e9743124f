// bench_reserve: how long an online-first reservation takes against a real memberhq server
// (own thread, SQLite sink with fsync, mutual TLS on loopback): over the Reserver's reused
// connection, and with a fresh TCP + TLS connection each time (the first checkout after an
// idle spell). The budget at the till is 300 ms; loopback shows the agent's and HQ's own cost,
// a WAN adds its round trips (about 2 for a reused connection... 4 for a fresh one).
// Usage: bench_reserve [reservations=2000]
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <chrono>
#include <optional>
#include <thread>
#include <variant>

#include "sync/client/reserver.h"
#include "sync/hq/ca.h"
#include "sync/hq/server.h"
#include "sync/hq/sqlite_sink.h"
#include "tests/support/temp_dir.h"

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

struct Figures {
  double p50_us, p99_us, max_us;
  int granted;
};

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> work) {
  std::optional<T> out;
  asio::co_spawn(io, std::move(work), [&](std::exception_ptr, T value) { out = std::move(value); });
  io.restart();
  while (!out) io.run_one();
  return std::move(*out);
}

Figures measure(asio::io_context& io, const pma::sync::ClientConfig& client, int n, bool fresh,
                int offset) {
  std::vector<double> us;
  int granted = 0;
  std::optional<pma::sync::Reserver> reserver;
  for (int i = 0; i < n; ++i) {
    if (fresh || !reserver) {
      if (reserver) reserver->stop();
      reserver.emplace(io, client, pma::sync::ReserverConfig{.budget = std::chrono::seconds(5)});
      if (!reserver->start()) throw std::runtime_error("reserver start");
    }
    pma::v1::ReserveRequest r;
    // 64 txn ids over and over: each asks again for its txn (replacing the hold), so the
    // terminal has at most 64 holds in force, like a till whose checkouts reach HQ, well within
    // kMaxHoldsPerTerminal.
    r.set_txn_id(fmt::format("POS-{}", (offset + i) % 64));
    r.set_member_id(fmt::format("M{}", 1 + (offset + i) % 1000));
    r.set_points(1000);
    r.add_coupon_codes(fmt::format("C-{}", offset + i));
    auto start = Clock::now();
    auto reply = run(io, reserver->reserve(r));
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    if (std::holds_alternative<pma::sync::ReserveGranted>(reply)) ++granted;
  }
  if (reserver) reserver->stop();
  io.restart();
  io.run_for(std::chrono::milliseconds(50));
  std::sort(us.begin(), us.end());
  return {us[us.size() / 2], us[us.size() * 99 / 100], us.back(), granted};
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  int n = argc > 1 ? std::atoi(argv[1]) : 2000;
  pma::test::TempDir dir;
  std::string ca = dir.file("ca");
  if (!pma::hq::init_ca(ca)) return 1;
  auto cert = pma::hq::issue_terminal_cert(ca, "S001", "T01", dir.file("t"));
  if (!cert) return 1;
  auto sink = pma::hq::SqliteSink::open(dir.file("hq.db"));  // synchronous=FULL, as served
  if (!sink) return 1;
  std::vector<pma::hq::ImportedMember> members;
  for (int i = 1; i <= 1000; ++i) {
    members.push_back({fmt::format("M{}", i), "", {}, "", "", "", 1, 1'000'000'000});
  }
  if (!(*sink)->import_members(members)) return 1;

  asio::io_context hq_io;
  pma::hq::ServerConfig config;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  config.tls = {ca + "/ca.crt", ca + "/server.crt", ca + "/server.key"};
  const pma::SystemClock wall_clock;
  pma::hq::Server server(hq_io, **sink, config, wall_clock);
  auto port = server.start();
  if (!port) return 1;
  auto guard = asio::make_work_guard(hq_io);
  std::thread hq_thread([&] { hq_io.run(); });

  pma::sync::ClientConfig client;
  client.hq_host = "127.0.0.1";
  client.hq_port = *port;
  client.tls = {ca + "/ca.crt", cert->cert_file, cert->key_file};
  asio::io_context io;
  auto reused = measure(io, client, n, false, 0);
  auto fresh = measure(io, client, std::max(1, n / 10), true, n);

  fmt::print("bench_reserve: online-first reservation at a real memberhq on loopback\n");
  fmt::print("  (HQ: own thread, SQLite synchronous=FULL, 1,000 members; each reservation holds\n");
  fmt::print("   1,000 points and one coupon; budget at the till: 300 ms)\n");
  fmt::print(
      "  reused connection   n={:5}  p50 {:8.0f} us  p99 {:8.0f} us  max {:8.0f} us  "
      "granted {}\n",
      n, reused.p50_us, reused.p99_us, reused.max_us, reused.granted);
  fmt::print(
      "  fresh TCP+TLS each  n={:5}  p50 {:8.0f} us  p99 {:8.0f} us  max {:8.0f} us  "
      "granted {}\n",
      std::max(1, n / 10), fresh.p50_us, fresh.p99_us, fresh.max_us, fresh.granted);
  server.stop();
  guard.reset();
  hq_io.stop();
  hq_thread.join();
  return 0;
}

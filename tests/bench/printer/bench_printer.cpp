// bench_printer: ESC/POS bytes per member receipt (58 and 80 mm), p50/p99 time to render the
// member block as ESC/POS and as text lines, and to enqueue a print job durably (SQLite,
// synchronous=FULL, real file). Prints figures; asserts nothing.
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "agent/printing/print_queue.h"
#include "agent/printing/receipt_block.h"
#include "agent/store/migrations.h"
#include "tests/support/temp_dir.h"

using namespace pma;
using Clock = std::chrono::steady_clock;

namespace {

template <typename T>
T must(Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "bench_printer: %s: %s\n", r.error().code.c_str(),
                 r.error().message.c_str());
    std::exit(1);
  }
  return std::move(*r);
}

double thread_cpu_us() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

void report(const std::string& what, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) {
    return micros[static_cast<std::size_t>(q * static_cast<double>(micros.size() - 1))];
  };
  std::printf("%-40s n=%zu  p50=%.1f us  p99=%.1f us  max=%.1f us\n", what.c_str(), micros.size(),
              at(0.50), at(0.99), micros.back());
}

v1::MemberReceipt receipt(int available_coupons) {
  v1::MemberReceipt r;
  r.set_store_name("鲜焙坊 徐汇旗舰店");
  r.set_phone_masked("138****5678");
  r.set_member_name("张小敏");
  r.set_tier(v1::TIER_SILVER);
  r.set_points_earned(128);
  r.set_points_used(1000);
  r.set_points_balance(12345);
  auto* used = r.add_coupons_used();
  used->set_title("满100减20元券");
  used->set_expires_on("2026-11-30");
  for (int i = 0; i < available_coupons; ++i) {
    auto* c = r.add_coupons_available();
    c->set_title(fmt::format("生日蛋糕8折券 {}", i));
    c->set_expires_on("2026-12-31");
  }
  r.set_upgraded_to(v1::TIER_GOLD);
  r.set_member_qr("https://m.example.cn/member/M000123?s=88");
  r.set_transaction_id("S001-T02-000042");
  return r;
}

// Wall time and this thread's CPU time (on a shared machine wall p99 is mostly preemption).
template <typename F>
void measure(const std::string& what, int runs, F&& body) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < runs; ++i) {
    auto t0 = Clock::now();
    double c0 = thread_cpu_us();
    body(i);
    cpu.push_back(thread_cpu_us() - c0);
    wall.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  report(what + " (wall)", wall);
  report(what + " (cpu)", cpu);
}

}  // namespace

int main() {
  constexpr int kRuns = 2000;
  for (int coupons : {2, 8}) {
    auto r = receipt(coupons);
    for (printer::Paper paper : {printer::Paper::mm58, printer::Paper::mm80}) {
      const char* name = paper == printer::Paper::mm58 ? "58mm" : "80mm";
      std::string bytes = must(printing::render_receipt_escpos(r, paper));
      auto lines = must(printing::render_receipt_lines(r, paper));
      std::printf("member receipt %s, %d coupons: %zu ESC/POS bytes, %zu text lines\n", name,
                  coupons + 1, bytes.size(), lines.size());
      measure(fmt::format("render ESC/POS {} {}c", name, coupons + 1), kRuns,
              [&](int) { must(printing::render_receipt_escpos(r, paper)); });
      measure(fmt::format("render lines  {} {}c", name, coupons + 1), kRuns,
              [&](int) { must(printing::render_receipt_lines(r, paper)); });
    }
  }

  // Durable enqueue: one committed INSERT per job on a real file (fsync cost included).
  test::TempDir dir;
  auto db = must(store::Database::open(dir.file("agent.db")));
  if (!store::migrate(*db)) return 1;
  boost::asio::io_context io;
  printing::PrintQueue queue(io, *db, nullptr, printing::PrintQueueOptions{});
  std::string job = must(printing::render_receipt_escpos(receipt(2), printer::Paper::mm80));
  measure("enqueue (SQLite FULL, real file)", 300,
          [&](int i) { must(queue.enqueue(fmt::format("bench-{}", i), job)); });
  return 0;
}

// bench_scanner: latency from the write of a scan into a scanner pty to the ScannerDevice
// callback firing (the agent's time beyond the wire: wakeup, read, framing, callback), over a
// few thousand scans; plus the pure Framer's cost per scan. Prints figures; asserts nothing.
#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "drivers/scanner/framer.h"
#include "drivers/scanner/scanner_device.h"
#include "tests/support/pty_pair.h"

using Clock = std::chrono::steady_clock;

namespace {

void report(const char* what, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  auto at = [&](double q) { return micros[static_cast<std::size_t>(q * (micros.size() - 1))]; };
  std::printf("%-34s n=%zu  p50=%.1f us  p90=%.1f us  p99=%.1f us  max=%.1f us\n", what,
              micros.size(), at(0.50), at(0.90), at(0.99), micros.back());
}

std::vector<double> pty_latency(int scans, bool strip_aim) {
  boost::asio::io_context io;
  pma::test::PtyPair pty;
  pma::scanner::ScannerConfig config;
  config.name = "bench";
  config.path = pty.device_path();
  config.strip_aim = strip_aim;
  bool fired = false;
  Clock::time_point fired_at;
  auto device = pma::scanner::ScannerDevice::create(io, config, [&](const auto&) {
    fired_at = Clock::now();
    fired = true;
  });
  if (!device || ((*device)->start(), (*device)->state() != pma::scanner::ScannerState::ready)) {
    std::fprintf(stderr, "bench_scanner: cannot open the scanner pty\n");
    std::exit(1);
  }
  std::vector<double> micros;
  micros.reserve(static_cast<std::size_t>(scans));
  for (int i = 0; i < scans + 100; ++i) {
    // A member-QR-sized code (about 200 characters), unique so no duplicate suppression.
    std::string code = (strip_aim ? "]Q1" : "") + std::string(190, 'A') + std::to_string(i) + "\r";
    fired = false;
    const auto written_at = Clock::now();
    pty.write(code);
    while (!fired) io.run_one();
    if (i >= 100) {  // the first hundred warm up caches and the allocator
      micros.push_back(std::chrono::duration<double, std::micro>(fired_at - written_at).count());
    }
  }
  return micros;
}

std::vector<double> framer_cost(int scans) {
  pma::scanner::Framer framer(pma::scanner::FramerConfig{.strip_aim = true});
  std::vector<double> micros;
  auto now = Clock::now();
  for (int i = 0; i < scans; ++i) {
    std::string code = "]Q1" + std::string(190, 'A') + std::to_string(i) + "\r";
    const auto start = Clock::now();
    auto events = framer.feed(code, now);
    const auto end = Clock::now();
    if (events.size() != 1) std::exit(2);
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  return micros;
}

}  // namespace

int main(int argc, char** argv) {
  const int scans = argc > 1 ? std::atoi(argv[1]) : 3000;
  std::printf("bench_scanner: %d scans of ~200-byte codes through a real pty (raw mode)\n", scans);
  auto plain = pty_latency(scans, false);
  report("pty write -> scan callback", plain);
  auto aim = pty_latency(scans, true);
  report("pty write -> callback (AIM strip)", aim);
  auto framer = framer_cost(scans * 10);
  report("Framer::feed per scan (pure)", framer);
  std::printf("goal: p99 <= 2000 us for pty write -> callback\n");
  return 0;
}

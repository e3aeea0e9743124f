// Fuzz target: scanner::Framer over bytes in any chunking, time passed in (see fuzz_inputs.h).
// Properties: no throw; every scan is non-empty, at most max_length, free of control characters
// and valid UTF-8, with first_byte_at <= completed_at = the call's time; stats count what was
// emitted; splitting every chunk into single bytes at the same instant changes nothing.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "drivers/scanner/framer.h"
#include "pma/utf8.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using pma::fuzz::check;
using namespace pma::scanner;
using namespace std::chrono_literals;

struct Run {
  std::vector<ScanEvent> events;
  FramerStats stats;
};

void check_events(const std::vector<ScanEvent>& events, const FramerConfig& config, TimePoint now) {
  for (const auto& e : events) {
    if (e.dropped_partial > 0) {  // a partial code dropped without its terminator: no code
      check(e.code.empty() && e.symbology.empty(), "a dropped partial carries a code");
      check(e.dropped_partial <= config.max_length, "a dropped partial beyond max_length");
      check(e.first_byte_at <= e.completed_at, "first byte after completion");
      continue;
    }
    check(!e.code.empty(), "a scan has an empty code");
    check(
        e.code.size() <= config.max_length,
        fmt::format("a scan of {} bytes exceeds max_length {}", e.code.size(), config.max_length));
    for (char c : e.code) {
      const auto u = static_cast<unsigned char>(c);
      check(u >= 0x20 && u != 0x7f, fmt::format("scan carries control byte 0x{:02x}", u));
    }
    check(pma::is_valid_utf8(e.code), "a scan is not valid UTF-8");
    check(config.strip_aim || e.symbology.empty(), "symbology reported without strip_aim");
    check(e.symbology.empty() || (e.symbology.size() == 3 && e.symbology[0] == ']'),
          "symbology is not a ]Xm identifier");
    check(e.first_byte_at <= e.completed_at, "first byte after completion");
    check(e.completed_at == now, "scan completed at another time than the call's");
  }
}

Run run(const std::uint8_t* data, std::size_t size, bool byte_by_byte) {
  pma::fuzz::ByteReader in(data, size);
  const std::uint8_t config_byte = in.u8();
  FramerConfig config;
  config.terminator = static_cast<Terminator>(config_byte % 5);
  config.strip_aim = (config_byte & 0x08) != 0;
  if ((config_byte & 0x10) != 0) config.duplicate_window = 0ms;
  config.max_length = (config_byte & 0x20) != 0 ? 16 : 512;
  check(config.validate().has_value(), "the fuzz config is invalid");
  Framer framer(config);
  Run out;
  TimePoint now{std::chrono::seconds(1000)};
  const auto take = [&](std::vector<ScanEvent> events) {
    check_events(events, config, now);
    for (auto& e : events) out.events.push_back(std::move(e));
    if (auto deadline = framer.idle_deadline()) {
      check(*deadline > now - 1h && *deadline <= now + 1h, "idle deadline out of range");
    }
  };
  while (!in.empty()) {
    now += std::chrono::milliseconds(8 * in.u8());
    const std::string_view bytes = in.take(in.u8());
    if (bytes.empty()) {
      auto deadline = framer.idle_deadline();
      take(framer.on_idle(now));
      if (deadline && now >= *deadline) {
        check(!framer.idle_deadline() || *framer.idle_deadline() > now,
              "on_idle after the deadline left a deadline that has passed");
      }
    } else if (byte_by_byte) {
      for (std::size_t i = 0; i < bytes.size(); ++i) take(framer.feed(bytes.substr(i, 1), now));
    } else {
      take(framer.feed(bytes, now));
    }
  }
  take(framer.finish(now));
  check(!framer.idle_deadline(), "finish() left a partial code pending");
  out.stats = framer.stats();
  check(out.stats.scans + out.stats.partials_dropped == out.events.size(),
        "stats.scans + partials_dropped differs from the events emitted");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Run whole = run(data, size, false);
  const Run bytes = run(data, size, true);
  check(
      whole.events.size() == bytes.events.size(),
      fmt::format("{} scans in chunks, {} byte by byte", whole.events.size(), bytes.events.size()));
  for (std::size_t i = 0; i < whole.events.size(); ++i) {
    const auto& a = whole.events[i];
    const auto& b = bytes.events[i];
    check(a.code == b.code && a.symbology == b.symbology && a.first_byte_at == b.first_byte_at &&
              a.completed_at == b.completed_at && a.dropped_partial == b.dropped_partial,
          fmt::format("scan {} differs when fed byte by byte", i));
  }
  const auto& s = whole.stats;
  const auto& t = bytes.stats;
  check(s.duplicates == t.duplicates && s.oversize == t.oversize &&
            s.control_chars_dropped == t.control_chars_dropped &&
            s.noise_frames == t.noise_frames && s.empty_frames == t.empty_frames &&
            s.partials_dropped == t.partials_dropped,
        "stats differ when fed byte by byte");
  return 0;
}

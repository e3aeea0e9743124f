// Framer: turns a scanner's byte stream into scans (terminator or inter-character timeout
// framing, AIM symbology prefixes, noise and oversize rejection, duplicate suppression).
// Pure: no I/O, no clock reads; time comes in as a parameter. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pma/error.h"

namespace pma::scanner {

// Monotonic, not wall time (pma::Clock): the inter-character timeout and the duplicate window
// measure intervals between bytes, which must not jump when the till's clock is set.
using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

// What ends a code. `any`: CR, LF or CRLF (as scanners ship configured, whichever it is).
// `none`: the code ends when no byte arrives for intercharacter_timeout.
enum class Terminator { cr, lf, crlf, tab, none, any };

// Parses "any" / "cr" / "lf" / "crlf" / "tab" / "none"; error "invalid_terminator" otherwise.
Result<Terminator> parse_terminator(std::string_view text);
std::string_view to_string(Terminator terminator);

struct FramerConfig {
  Terminator terminator = Terminator::any;  // scanner.terminator, default "any"
  // scanner.intercharacter_timeout_ms (default 50): ends a code when terminator = "none".
  std::chrono::milliseconds intercharacter_timeout{50};
  // With a terminator, a partial code left idle this long is discarded (so a stray byte never
  // prefixes the next scan) and reported as a ScanEvent with dropped_partial set (a scanner
  // sending another terminator than configured shows here). Fixed at 1 s unless set.
  std::chrono::milliseconds partial_timeout{1000};
  std::size_t max_length = 512;  // scanner.max_length (default 512): longer codes rejected
  bool strip_aim = false;        // scanner.strip_aim (default false): strip "]Xm" and report it
  // scanner.duplicate_window_ms (default 800): the same code again within this window of its
  // last sighting is one scan. 0 disables.
  std::chrono::milliseconds duplicate_window{800};

  // Returns "invalid_scanner_config" naming the bad field.
  Status validate() const;
};

// One accepted scan, or (dropped_partial > 0, code empty) characters that never got their
// terminator and were dropped.
struct ScanEvent {
  std::string code;         // without terminator, AIM prefix (when stripped) or control chars
  std::string symbology;    // the AIM identifier, e.g. "]Q1" (QR), "]C1"; empty if none/kept
  std::string device;       // the scanner's configured name; filled in by ScannerDevice
  TimePoint first_byte_at;  // when the code's first byte arrived
  TimePoint completed_at;   // when the terminator arrived or the timeout ended the code
  // Characters of a partial code dropped without a terminator (never the characters
  // themselves: they may be a phone number). 0 for a scan.
  std::size_t dropped_partial = 0;
};

struct FramerStats {
  std::uint64_t scans = 0;                  // ScanEvents emitted
  std::uint64_t duplicates = 0;             // codes suppressed by the duplicate window
  std::uint64_t oversize = 0;               // codes longer than max_length, rejected
  std::uint64_t control_chars_dropped = 0;  // control bytes removed from codes
  std::uint64_t noise_frames = 0;           // frames rejected as noise (not UTF-8)
  std::uint64_t empty_frames = 0;           // terminators with nothing before them
  std::uint64_t partials_dropped = 0;       // partial codes dropped without a terminator
};

// A short human name for an AIM identifier's symbology ("QR Code", "Code 128", ...), or "".
std::string_view symbology_name(std::string_view aim_identifier);

class Framer {
 public:
  explicit Framer(FramerConfig config);

  // Feeds bytes that arrived at `now`; returns the scans they complete (usually 0 or 1).
  std::vector<ScanEvent> feed(std::string_view bytes, TimePoint now);
  // Call when idle_deadline() has passed: ends a timeout-framed code or drops a stale partial.
  std::vector<ScanEvent> on_idle(TimePoint now);
  // When on_idle() should next be called, or nullopt when nothing is pending.
  std::optional<TimePoint> idle_deadline() const;
  // The input ended (a connection closed): ends a timeout-framed code now; a partial code
  // that never got its terminator is dropped (and reported, as by on_idle).
  std::vector<ScanEvent> finish(TimePoint now);
  // Discards a partial code (e.g. events were dropped, the device was reopened).
  void discard_partial();

  const FramerStats& stats() const { return stats_; }
  const FramerConfig& config() const { return config_; }

 private:
  void push_char(char c, TimePoint now);
  void end_frame(TimePoint now, std::vector<ScanEvent>& out);
  void reset_frame();

  FramerConfig config_;
  FramerStats stats_;
  std::string buffer_;
  bool in_frame_ = false;  // a byte (even a dropped one) arrived since the last frame end
  bool oversize_ = false;
  bool pending_cr_ = false;   // CRLF mode: a CR waiting for its LF
  char last_terminator_ = 0;  // to ignore the other half of CRLF after a CR or LF terminator
  TimePoint first_byte_at_{};
  TimePoint last_byte_at_{};
  std::string last_code_;
  TimePoint last_code_at_{};
  bool has_last_code_ = false;
};

}  // namespace pma::scanner

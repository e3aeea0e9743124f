#include "drivers/scanner/framer.h"

#include <catch2/catch.hpp>

namespace {

using namespace std::chrono_literals;
using pma::scanner::FramerConfig;
using pma::scanner::ScanEvent;
using pma::scanner::Terminator;

const pma::scanner::TimePoint t0{};

std::vector<std::string> codes_of(const std::vector<ScanEvent>& events) {
  std::vector<std::string> codes;
  for (const auto& event : events) codes.push_back(event.code);
  return codes;
}

using Codes = std::vector<std::string>;

}  // namespace

TEST_CASE("Framer ends codes at each configured terminator", "[scanner][framer]") {
  struct Row {
    Terminator terminator;
    std::string bytes;
    Codes expected;
  };
  const Row rows[] = {
      {Terminator::cr, "ABC123\rXYZ\r", {"ABC123", "XYZ"}},
      {Terminator::lf, "ABC123\nXYZ\n", {"ABC123", "XYZ"}},
      {Terminator::crlf, "ABC123\r\nXYZ\r\n", {"ABC123", "XYZ"}},
      {Terminator::tab, "ABC123\tXYZ\t", {"ABC123", "XYZ"}},
      // A CRLF scanner on a CR port: the LF after the CR is part of the suffix, not a code.
      {Terminator::cr, "ABC123\r\nXYZ\r\n", {"ABC123", "XYZ"}},
      {Terminator::lf, "ABC123\r\nXYZ\r\n", {"ABC123", "XYZ"}},
      // No terminator yet: nothing.
      {Terminator::cr, "ABC123", {}},
      {Terminator::crlf, "ABC123\r", {}},
  };
  for (const auto& row : rows) {
    CAPTURE(pma::scanner::to_string(row.terminator), row.bytes);
    pma::scanner::Framer framer(FramerConfig{.terminator = row.terminator});
    CHECK(codes_of(framer.feed(row.bytes, t0)) == row.expected);
  }
}

TEST_CASE("Framer joins a code split across reads", "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{.terminator = Terminator::crlf});
  CHECK(framer.feed("ABC", t0).empty());
  CHECK(framer.feed("123\r", t0 + 2ms).empty());
  auto events = framer.feed("\n", t0 + 3ms);
  REQUIRE(events.size() == 1);
  CHECK(events[0].code == "ABC123");
  CHECK(events[0].first_byte_at == t0);
  CHECK(events[0].completed_at == t0 + 3ms);
}

TEST_CASE("Framer in CRLF mode drops a lone CR as a control character", "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{.terminator = Terminator::crlf});
  CHECK(codes_of(framer.feed("AB\rCD\r\n", t0)) == Codes{"ABCD"});
  CHECK(framer.stats().control_chars_dropped == 1);
}

TEST_CASE("Framer without terminator ends a code after the inter-character timeout",
          "[scanner][framer]") {
  pma::scanner::Framer framer(
      FramerConfig{.terminator = Terminator::none, .intercharacter_timeout = 50ms});
  CHECK(framer.feed("6901", t0).empty());
  CHECK(framer.feed("234", t0 + 10ms).empty());
  REQUIRE(framer.idle_deadline().has_value());
  CHECK(*framer.idle_deadline() == t0 + 60ms);
  CHECK(framer.on_idle(t0 + 59ms).empty());
  auto events = framer.on_idle(t0 + 60ms);
  CHECK(codes_of(events) == Codes{"6901234"});
  CHECK_FALSE(framer.idle_deadline().has_value());

  SECTION("a late byte after the gap starts a new code even before on_idle") {
    CHECK(framer.feed("AAA", t0 + 100ms).empty());
    auto next = framer.feed("BBB", t0 + 200ms);
    CHECK(codes_of(next) == Codes{"AAA"});
    CHECK(codes_of(framer.on_idle(t0 + 250ms)) == Codes{"BBB"});
  }
}

TEST_CASE("Framer strips AIM symbology prefixes and reports them", "[scanner][framer]") {
  struct Row {
    std::string bytes;
    std::string code;
    std::string symbology;
    std::string name;
  };
  const Row rows[] = {
      {"]Q1HELLO\r", "HELLO", "]Q1", "QR Code"},
      {"]C1ABC-123\r", "ABC-123", "]C1", "Code 128"},
      {"]E06901234567892\r", "6901234567892", "]E0", "EAN/UPC"},
      {"]d2010123\r", "010123", "]d2", "Data Matrix"},
      {"NOPREFIX\r", "NOPREFIX", "", ""},
      {"]x\r", "]x", "", ""},  // too short to be a prefix
  };
  for (const auto& row : rows) {
    CAPTURE(row.bytes);
    pma::scanner::Framer framer(FramerConfig{.strip_aim = true});
    auto events = framer.feed(row.bytes, t0);
    REQUIRE(events.size() == 1);
    CHECK(events[0].code == row.code);
    CHECK(events[0].symbology == row.symbology);
    CHECK(pma::scanner::symbology_name(events[0].symbology) == row.name);
  }
  SECTION("kept when strip_aim is off") {
    pma::scanner::Framer framer(FramerConfig{.strip_aim = false});
    auto events = framer.feed("]Q1HELLO\r", t0);
    REQUIRE(events.size() == 1);
    CHECK(events[0].code == "]Q1HELLO");
    CHECK(events[0].symbology.empty());
  }
  SECTION("a prefix alone is an empty frame") {
    pma::scanner::Framer framer(FramerConfig{.strip_aim = true});
    CHECK(framer.feed("]Q1\r", t0).empty());
    CHECK(framer.stats().empty_frames == 1);
  }
}

TEST_CASE("Framer drops control characters and counts them", "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{});
  auto events = framer.feed(std::string("\x02"
                                        "AB\x00"
                                        "C\x1b\x7f"
                                        "D\x03\r",
                                        10),
                            t0);
  CHECK(codes_of(events) == Codes{"ABCD"});
  CHECK(framer.stats().control_chars_dropped == 5);
  CHECK(framer.stats().scans == 1);
}

TEST_CASE("Framer rejects line noise that is not text and keeps going", "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{});
  CHECK(framer.feed("\xff\xfe\x80\x81\r", t0).empty());
  CHECK(framer.stats().noise_frames == 1);
  CHECK(codes_of(framer.feed("GOOD1\r", t0 + 1ms)) == Codes{"GOOD1"});
  // UTF-8 text (a QR code with Chinese) is not noise.
  CHECK(codes_of(framer.feed("\xe4\xbc\x9a\xe5\x91\x98\r", t0 + 2ms)) == Codes{"会员"});
  // A truncated UTF-8 sequence is.
  CHECK(framer.feed("AB\xe4\xbc\r", t0 + 3ms).empty());
  CHECK(framer.stats().noise_frames == 2);
  CHECK(framer.feed("\r", t0 + 4ms).empty());
  CHECK(framer.stats().empty_frames == 1);
}

TEST_CASE("Framer discards a stale partial code instead of prefixing the next scan",
          "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{.partial_timeout = 1000ms});
  CHECK(framer.feed("~~", t0).empty());
  REQUIRE(framer.idle_deadline() == t0 + 1000ms);
  // The drop is reported (as an event without a code) and counted, never silent.
  auto dropped = framer.on_idle(t0 + 1000ms);
  REQUIRE(dropped.size() == 1);
  CHECK(dropped[0].code.empty());
  CHECK(dropped[0].dropped_partial == 2);
  CHECK(framer.stats().partials_dropped == 1);
  CHECK(framer.stats().scans == 0);
  CHECK(codes_of(framer.feed("CODE\r", t0 + 2000ms)) == Codes{"CODE"});

  SECTION("also when the next bytes arrive before on_idle ran") {
    CHECK(framer.feed("~~", t0 + 3000ms).empty());
    auto events = framer.feed("NEXT\r", t0 + 5000ms);
    REQUIRE(events.size() == 2);
    CHECK(events[0].dropped_partial == 2);
    CHECK(events[1].code == "NEXT");
    CHECK(framer.stats().partials_dropped == 2);
  }
  SECTION("and when the input ends before the terminator") {
    CHECK(framer.feed("88600", t0 + 3000ms).empty());
    auto events = framer.finish(t0 + 3001ms);
    REQUIRE(events.size() == 1);
    CHECK(events[0].dropped_partial == 5);
  }
}

TEST_CASE("Framer's default terminator ends a code at CR, LF or CRLF", "[scanner][framer]") {
  CHECK(FramerConfig{}.terminator == Terminator::any);
  CHECK(pma::scanner::parse_terminator("any").value() == Terminator::any);
  CHECK(pma::scanner::to_string(Terminator::any) == "any");
  pma::scanner::Framer framer(FramerConfig{.duplicate_window = 0ms});
  CHECK(codes_of(framer.feed("A1\rB2\nC3\r\nD4\n\rE5\n", t0)) ==
        Codes{"A1", "B2", "C3", "D4", "E5"});
  CHECK(framer.stats().empty_frames == 0);
  // A CRLF split across reads is still one terminator.
  CHECK(codes_of(framer.feed("F6\r", t0 + 1ms)) == Codes{"F6"});
  CHECK(framer.feed("\n", t0 + 2ms).empty());
  CHECK(framer.stats().empty_frames == 0);
  CHECK(framer.idle_deadline() == std::nullopt);
}

TEST_CASE("Framer rejects codes longer than max_length, counts them, and recovers",
          "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{.max_length = 8});
  CHECK(codes_of(framer.feed("12345678\r", t0)) == Codes{"12345678"});
  CHECK(framer.feed("123456789\r", t0 + 1ms).empty());
  CHECK(framer.stats().oversize == 1);
  CHECK(framer.feed(std::string(100000, 'x') + "\r", t0 + 2ms).empty());
  CHECK(framer.stats().oversize == 2);
  CHECK(codes_of(framer.feed("OK\r", t0 + 3ms)) == Codes{"OK"});

  SECTION("without a terminator the timeout ends the oversize code") {
    pma::scanner::Framer timed(FramerConfig{.terminator = Terminator::none, .max_length = 4});
    CHECK(timed.feed("123456", t0).empty());
    CHECK(timed.on_idle(t0 + 50ms).empty());
    CHECK(timed.stats().oversize == 1);
  }
}

TEST_CASE("Framer treats the same code twice within the window as one scan", "[scanner][framer]") {
  pma::scanner::Framer framer(FramerConfig{.duplicate_window = 800ms});
  CHECK(codes_of(framer.feed("M1\r", t0)) == Codes{"M1"});
  CHECK(framer.feed("M1\r", t0 + 300ms).empty());
  CHECK(framer.stats().duplicates == 1);
  // A different code is never a duplicate.
  CHECK(codes_of(framer.feed("M2\r", t0 + 400ms)) == Codes{"M2"});
  CHECK(codes_of(framer.feed("M1\r", t0 + 500ms)) == Codes{"M1"});
  // After the window the same code is a new scan.
  CHECK(codes_of(framer.feed("M1\r", t0 + 1400ms)) == Codes{"M1"});
  CHECK(framer.stats().scans == 4);

  SECTION("a scanner repeating in continuous mode stays one scan") {
    for (int i = 1; i <= 10; ++i) {
      CHECK(framer.feed("M1\r", t0 + 1400ms + i * 500ms).empty());
    }
  }
  SECTION("window 0 disables suppression") {
    pma::scanner::Framer all(FramerConfig{.duplicate_window = 0ms});
    CHECK(all.feed("M1\rM1\r", t0).size() == 2);
  }
}

TEST_CASE("FramerConfig validate names the bad field", "[scanner][framer]") {
  CHECK(FramerConfig{}.validate().has_value());
  auto bad_length = FramerConfig{.max_length = 0}.validate();
  REQUIRE_FALSE(bad_length.has_value());
  CHECK(bad_length.error().message.find("max_length") != std::string::npos);
  auto bad_timeout = FramerConfig{.intercharacter_timeout = 0ms}.validate();
  CHECK(bad_timeout.error().message.find("intercharacter_timeout_ms") != std::string::npos);
  auto bad_window = FramerConfig{.duplicate_window = -1ms}.validate();
  CHECK(bad_window.error().message.find("duplicate_window_ms") != std::string::npos);
  CHECK(pma::scanner::parse_terminator("crlf").value() == Terminator::crlf);
  CHECK(pma::scanner::parse_terminator("semicolon").error().code == "invalid_terminator");
}

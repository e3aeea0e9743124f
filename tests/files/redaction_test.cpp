// Item 12 (phone part): the redacting log sink masks mobile numbers however they are written,
// checked through the real logger (make_logger and its sinks), not only the pure function.
#include <spdlog/sinks/ostream_sink.h>

#include <catch2/catch.hpp>
#include <sstream>

#include "agent/log/logging.h"

using pma::log::redact_phones;

namespace {

// What the real logger at `level` writes for `message` (the extra sink sees the redacted line).
std::string logged(spdlog::level::level_enum at, const std::string& message,
                   const std::string& level = "debug") {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_pattern("%v");
  auto logger = pma::log::make_logger("redaction-test", level, sink);
  logger->log(at, "{}", message);
  logger->flush();
  return out.str();
}

}  // namespace

TEST_CASE("Phones with dashes or spaces are masked in what the logger writes", "[files][log]") {
  CHECK(logged(spdlog::level::info, "lookup 139 1234 5680 ok") == "lookup 139 **** 5680 ok\n");
  CHECK(logged(spdlog::level::debug, "body {\"phone\":\"139-1234-5678\"}") ==
        "body {\"phone\":\"139-****-5678\"}\n");
  CHECK(logged(spdlog::level::warn, "scan +86 139 1234 5678") == "scan +86 139 **** 5678\n");
  CHECK(logged(spdlog::level::err, "x 0086-139-1234-5678 y") == "x 0086-139-****-5678 y\n");
}

TEST_CASE("Every form the API accepts as a phone is masked", "[files][log]") {
  CHECK(redact_phones("13912345678") == "139****5678");
  CHECK(redact_phones("139-1234-5678") == "139-****-5678");
  CHECK(redact_phones("139 1234 5678") == "139 **** 5678");
  CHECK(redact_phones("1391 2345 678") == "139* ***5 678");
  CHECK(redact_phones("139\t1234\t5678") == "139\t****\t5678");
  CHECK(redact_phones("139 - 1234 - 5678") == "139 - **** - 5678");
  CHECK(redact_phones("+86 139 1234 5678") == "+86 139 **** 5678");
  CHECK(redact_phones("+86-13912345678") == "+86-139****5678");
  CHECK(redact_phones("(+86) 139 1234 5678") == "(+86) 139 **** 5678");
  CHECK(redact_phones("86 139 1234 5678") == "86 139 **** 5678");
  CHECK(redact_phones("0086 139 1234 5678") == "0086 139 **** 5678");
  CHECK(redact_phones("8613912345678") == "86139****5678");
  CHECK(redact_phones("a 1 3 9 1 2 3 4 5 6 7 8 b") == "a 1 3 9 * * * * 5 6 7 8 b");
  // Next to other numbers: the phone is found, its neighbours stay.
  CHECK(redact_phones("seq 7 139 1234 5678 qty 2") == "seq 7 139 **** 5678 qty 2");
  CHECK(redact_phones("2 x 139-1234-5678, 3") == "2 x 139-****-5678, 3");
}

TEST_CASE("Ordinary numbers are not masked", "[files][log]") {
  for (const char* text :
       {"seq 1234 amount 5680 fen", "2026-12-03 08:15:00.123", "txn POS-1 3 lines 1500 fen",
        "ids 1 2 3 4 5", "port 8765 pid 4242", "139 1234 567", "129 1234 5678", "12 139 1234 56789",
        "v1.3.9 build 1234-5678"}) {
    INFO(text);
    CHECK(redact_phones(text) == text);
    CHECK(logged(spdlog::level::info, text) == std::string(text) + "\n");
  }
}

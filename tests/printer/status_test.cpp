#include "drivers/printer/status.h"

#include <catch2/catch.hpp>

using namespace pma::printer;

TEST_CASE("Status requests are DLE EOT 1..4", "[printer]") {
  CHECK(status_request(StatusQuery::printer) == std::string("\x10\x04\x01", 3));
  CHECK(full_status_request() ==
        std::string("\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04", 12));
}

TEST_CASE("An all-clear printer is online and ready", "[printer]") {
  auto status = parse_full_status("\x12\x12\x12\x12");
  REQUIRE(status.has_value());
  CHECK(status->known);
  CHECK(status->online);
  CHECK(status->ready());
  CHECK(status->reason().empty());
}

TEST_CASE("Paper out is read from the offline cause and the paper sensor", "[printer]") {
  auto status = parse_full_status("\x1a\x32\x12\x7e");
  REQUIRE(status.has_value());
  CHECK_FALSE(status->online);
  CHECK(status->paper_out);
  CHECK(status->paper_end_stop);
  CHECK(status->paper_near_end);
  CHECK_FALSE(status->ready());
  CHECK(status->reason() == "paper_out");
}

TEST_CASE("Cover open, near end, errors and the feed button are decoded", "[printer]") {
  SECTION("cover open") {
    auto s = parse_full_status("\x1a\x16\x12\x12").value();
    CHECK(s.cover_open);
    CHECK(s.reason() == "cover_open");
  }
  SECTION("paper near end still prints") {
    auto s = parse_full_status("\x12\x12\x12\x1e").value();
    CHECK(s.paper_near_end);
    CHECK_FALSE(s.paper_out);
    CHECK(s.ready());
  }
  SECTION("autocutter and unrecoverable errors") {
    auto s = parse_full_status("\x1a\x52\x3a\x12").value();
    CHECK(s.error);
    CHECK(s.autocutter_error);
    CHECK(s.unrecoverable_error);
    CHECK(s.reason() == "error");
    CHECK_FALSE(s.ready());
  }
  SECTION("an autocutter error alone is not ready either") {
    auto s = parse_full_status("\x12\x12\x1a\x12").value();
    CHECK(s.autocutter_error);
    CHECK_FALSE(s.error);
    CHECK(s.reason() == "error");
    CHECK_FALSE(s.ready());
  }
  SECTION("drawer pin and feed button") {
    auto s = parse_full_status("\x56\x12\x12\x12").value();
    CHECK(s.drawer_pin_high);
    CHECK(s.feed_button);
    CHECK(s.online);
  }
  SECTION("offline without a cause") {
    auto s = parse_full_status("\x1a\x12\x12\x12").value();
    CHECK(s.reason() == "offline");
  }
}

TEST_CASE("Malformed status bytes are rejected", "[printer]") {
  CHECK(parse_full_status("\x12\x12\x12").error().code == "printer_status_malformed");
  CHECK(parse_full_status("\x12\x12\x12\xff").error().code == "printer_status_malformed");
  CHECK(parse_full_status("A\x12\x12\x12").error().code == "printer_status_malformed");
  PrinterStatus unknown;
  CHECK_FALSE(unknown.known);
  CHECK_FALSE(unknown.ready());
  CHECK(unknown.reason() == "unknown");
}

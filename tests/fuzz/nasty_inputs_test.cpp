// Hand-picked hostile inputs per parser, each asserting the precise outcome (error code or
// counted rejection), next to the mutation runs in replay_test.cpp.
#include <linux/input.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/api/json.h"
#include "agent/config/config.h"
#include "drivers/codes/base45.h"
#include "drivers/codes/classify.h"
#include "drivers/codes/member_qr.h"
#include "drivers/printer/status.h"
#include "drivers/scanner/evdev_decoder.h"
#include "drivers/scanner/framer.h"
#include "pma/v1/api.pb.h"
#include "pma/v1/sync.pb.h"
#include "sync/hq/member_import.h"
#include "sync/wire/compression.h"
#include "sync/wire/delta_columns.h"
#include "sync/wire/frame.h"
#include "sync/wire/messages.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/seeds.h"

namespace {

using namespace pma;
using namespace std::chrono_literals;

std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::string code_of(const Error& error) { return error.code; }

}  // namespace

TEST_CASE("Nasty scanner bytes: oversize, noise and stray CRs are counted, never scanned",
          "[fuzz][scanner]") {
  scanner::FramerConfig config;
  config.max_length = 8;
  scanner::Framer framer(config);
  const scanner::TimePoint t{10s};
  CHECK(framer.feed("123456789\r", t).empty());
  CHECK(framer.stats().oversize == 1);
  CHECK(framer.feed("\xff\xfe\r", t + 1s).empty());
  CHECK(framer.stats().noise_frames == 1);
  CHECK(framer.feed("\r\r\r", t + 2s).empty());
  CHECK(framer.stats().empty_frames == 3);
  auto ok = framer.feed("1234\r", t + 3s);
  REQUIRE(ok.size() == 1);
  CHECK(ok[0].code == "1234");
}

TEST_CASE("Nasty evdev records: a drop discards the partial code, odd keys are ignored",
          "[fuzz][scanner]") {
  scanner::EvdevDecoder decoder;
  std::vector<input_event> events(5);
  events[0].type = EV_KEY, events[0].code = KEY_1, events[0].value = 1;
  events[1].type = EV_SYN, events[1].code = SYN_DROPPED;
  events[2].type = EV_KEY, events[2].code = KEY_2, events[2].value = 1;  // still dropping
  events[3].type = EV_SYN, events[3].code = SYN_REPORT;
  events[4].type = EV_KEY, events[4].code = 0xffff, events[4].value = 1;
  auto out = decoder.decode(events);
  CHECK(out.discard_partial);
  CHECK(out.text.empty());
  CHECK(decoder.stats().unmapped_keys == 1);
}

TEST_CASE("Nasty codes: Base45, member QR and classification name the precise error",
          "[fuzz][codes]") {
  CHECK(code_of(codes::base45_decode("GGW").error()) == "base45_invalid");  // 65536
  CHECK(code_of(codes::base45_decode("A").error()) == "base45_invalid");
  CHECK(code_of(codes::base45_decode("bb8").error()) == "base45_invalid");
  CHECK(code_of(codes::base45_decode(std::string("B\0"
                                                 "8",
                                                 3))
                    .error()) == "base45_invalid");
  CHECK(code_of(codes::parse_member_qr("PMA1:" + std::string(2000, '0')).error()) ==
        "qr_malformed");
  CHECK(code_of(codes::parse_member_qr("PMA1:").error()) == "qr_malformed");
  CHECK(code_of(codes::classify_code(" \t\r\n").error()) == "code_unrecognised");
  CHECK(code_of(codes::classify_code(std::string(1025, '1')).error()) == "code_unrecognised");
}

TEST_CASE("Nasty member QRs: forged, late and replayed codes are refused by the verifier",
          "[fuzz][codes]") {
  const auto seeds = fuzz::codes_seeds();
  const std::string& valid = seeds[seeds.size() - 3];
  const std::string& late = seeds.back();
  // Every seed and these variants keep the target's properties (checked inside the target).
  const auto& t = fuzz::target("codes");
  std::string forged = valid;
  forged[forged.size() / 2] = forged[forged.size() / 2] == 'A' ? 'B' : 'A';
  for (const std::string& input : {valid, late, forged, valid + valid}) {
    INFO(fuzz::hex(input));
    CHECK(fuzz::run_input(t, input).empty());
  }
}

TEST_CASE("Nasty printer replies: wrong length and missing fixed bits are malformed",
          "[fuzz][printer]") {
  CHECK(code_of(printer::parse_full_status("\x12\x12\x12").error()) == "printer_status_malformed");
  CHECK(code_of(printer::parse_full_status("\xff\x12\x12\x12").error()) ==
        "printer_status_malformed");
  printer::PrinterStatus status;
  auto bad_query = printer::apply_status_reply(status, static_cast<printer::StatusQuery>(5), 0x12);
  CHECK(code_of(bad_query.error()) == "printer_status_malformed");
  CHECK_FALSE(status.known);
}

TEST_CASE("Nasty sync frames: unknown types, oversize, truncation and bad payloads",
          "[fuzz][sync]") {
  SECTION("type 0 and type 14 are unknown") {
    for (std::uint8_t type : {0, 14, 255}) {
      const std::vector<std::uint8_t> header{0, 0, 0, 0, type};
      CHECK(code_of(wire::parse_header(header, 100).error()) == "frame_unknown_type");
    }
  }
  SECTION("a 4 GiB announcement is refused before allocating") {
    wire::FrameDecoder decoder;
    decoder.feed(bytes(std::string("\xff\xff\xff\xff\x03", 5)));
    CHECK(code_of(decoder.next().error()) == "frame_oversize");
    CHECK(code_of(decoder.finish().error()) == "frame_oversize");
  }
  SECTION("a stream that ends inside a frame") {
    wire::FrameDecoder decoder;
    decoder.feed(
        bytes(std::string("\0\0\0\x09\x01"
                          "abc",
                          8)));
    CHECK(!decoder.next().value().has_value());
    CHECK(code_of(decoder.finish().error()) == "frame_truncated");
  }
  SECTION("payloads that are not what the type says") {
    pma::v1::Batch batch;
    const wire::Frame not_zstd{wire::FrameType::batch, bytes("hello")};
    CHECK(code_of(wire::decode_batch(not_zstd, batch).error()) == "zstd_garbled");
    const std::string zeros(5000, '\0');
    const wire::Frame bomb{wire::FrameType::batch, wire::zstd_compress(fuzz::as_bytes(zeros))};
    CHECK(code_of(wire::decode_batch(bomb, batch, 4096).error()) == "zstd_too_large");
    pma::v1::Hello hello;
    const wire::Frame garbled{wire::FrameType::hello, bytes("\x0a\xff")};
    CHECK(code_of(wire::decode_message(garbled, wire::FrameType::hello, hello).error()) ==
          "protobuf_garbled");
    CHECK(code_of(wire::decode_message(garbled, wire::FrameType::ack, hello).error()) ==
          "frame_unexpected");
  }
}

TEST_CASE("Nasty config text: syntax, unknown keys and bad values get their codes",
          "[fuzz][config]") {
  const auto& t = fuzz::target("config");
  const std::pair<std::string, std::string> cases[] = {
      {"[store", "config_syntax"},
      {"[nope]\n", "config_unknown_key"},
      {"[api]\nport = \"x\"\n", "config_bad_value"},
      {"[api]\nport = 99999999999999999999\n", "config_syntax"},
      {"[store]\nid = \"\xff\"\n", "config_syntax"},
      {"store = 1\n", "config_bad_value"},
      {"[[scanner]]\nkind = \"laser\"\n", "config_bad_value"},
  };
  for (const auto& [text, code] : cases) {
    INFO(text);
    CHECK(fuzz::run_input(t, text).empty());
    auto config = config::parse_config(text, "nasty.toml");
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().code == code);
  }
}

TEST_CASE("Nasty API bodies: not an object, unknown fields and wrong types", "[fuzz][api]") {
  const std::pair<std::string, std::string> cases[] = {
      {"", "bad_json"},
      {"[]", "bad_json"},
      {"{\"cardNo\": ", "bad_json"},
      {"{\"nope\": 1}", "unknown_field"},
      {"{\"cardNo\": {}}", "bad_json"},
      {"{\"cardNo\": \"\xff\"}", "bad_json"},
      {"{\"cardNo\": \"1\", \"phone\": \"2\"}", "bad_json"},  // two members of one oneof
  };
  for (const auto& [body, code] : cases) {
    INFO(body);
    pma::v1::LookupRequest request;
    auto ok = api::parse_json(body, request);
    REQUIRE_FALSE(ok.has_value());
    CHECK(ok.error().code == code);
    CHECK(fuzz::run_input(fuzz::target("api_json"), std::string(1, '\0') + body).empty());
  }
}

TEST_CASE("Nasty member base lines: bad phones and JSON are row errors that never echo",
          "[fuzz][hq]") {
  const std::string csv =
      "member_id,phone,points\nM1,1381234567x,1\nM2,13812345678,12a\nM3,23812345678,0\n";
  auto parsed = hq::parse_member_base(csv, "csv", "key");
  CHECK(parsed.members.empty());
  REQUIRE(parsed.errors.size() == 3);
  for (const auto& error : parsed.errors) {
    CHECK(error.message.find("1234567") == std::string::npos);
  }
  auto json = hq::parse_member_base("{\"member_id\": 5\n{]\n", "jsonl", "key");
  CHECK(json.errors.size() == 2);
  CHECK(fuzz::run_input(fuzz::target("member_import"), "\x01{]\n" + csv).empty());
}

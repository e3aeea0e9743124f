// Inputs the fuzz targets found (or hand-built to pin a finding down), each a regression test
// for a parser fix.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "drivers/scanner/framer.h"
#include "pma/v1/member_import.pb.h"
#include "pma/v1/sync.pb.h"
#include "sync/hq/member_import.h"
#include "sync/wire/compression.h"
#include "sync/wire/delta_columns.h"
#include "sync/wire/messages.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_targets.h"
#include "tests/fuzz/seeds.h"

namespace {

using namespace pma;

// A zstd frame like `frame` (from zstd_compress: single segment, content size declared), but
// without the content size, as a streaming compressor writes it: the decoder must stream it.
std::vector<std::uint8_t> without_content_size(const std::vector<std::uint8_t>& frame) {
  REQUIRE(frame.size() > 6);
  const std::uint8_t descriptor = frame[4];
  const int fcs_flag = descriptor >> 6;
  const bool single_segment = (descriptor & 0x20) != 0;
  REQUIRE(single_segment);            // no window descriptor follows
  REQUIRE((descriptor & 0x03) == 0);  // no dictionary id
  const std::size_t fcs_size = fcs_flag == 0 ? 1 : std::size_t{1} << fcs_flag;
  std::vector<std::uint8_t> out(frame.begin(), frame.begin() + 4);
  out.push_back(descriptor & 0x04);  // keep the checksum flag; no size, not single segment
  out.push_back(0x60);               // window 4 MiB (exponent 12)
  out.insert(out.end(), frame.begin() + 5 + static_cast<std::ptrdiff_t>(fcs_size), frame.end());
  return out;
}

}  // namespace

TEST_CASE("A zstd payload without a declared size decompresses however large its output",
          "[fuzz][sync]") {
  for (std::size_t size : {std::size_t{100}, std::size_t{200'000}, std::size_t{1'000'000}}) {
    std::string text;
    for (std::size_t i = 0; text.size() < size; ++i) text += "row " + std::to_string(i % 977) + ";";
    text.resize(size);
    const auto streamed = without_content_size(wire::zstd_compress(fuzz::as_bytes(text)));
    auto out = wire::zstd_decompress(streamed);
    INFO("output of " << size << " bytes");
    REQUIRE(out.has_value());
    CHECK(std::string(out->begin(), out->end()) == text);
    CHECK(wire::zstd_decompress(streamed, size - 1).error().code == "zstd_too_large");
  }
}

TEST_CASE("Checkout columns refuse an id width no encoder writes (a memory bomb per row)",
          "[fuzz][sync]") {
  // txn_width and a dictionary width are uint32 on the wire: 4 billion zeros per row used to be
  // allocated for the asking. split_id never writes more than 18 digits.
  for (int column = 0; column < 2; ++column) {
    pma::v1::Batch batch;
    REQUIRE(batch.ParseFromString(fuzz::sample_batch_bytes(true)));
    REQUIRE(batch.has_checkouts());
    auto* c = batch.mutable_checkouts();
    if (column == 0) {
      c->set_txn_width(0, 100'000);
    } else {
      REQUIRE(c->members().width_size() > 0);
      c->mutable_members()->set_width(0, 100'000);
    }
    auto ok = wire::unpack_checkouts(batch);
    INFO("column " << column);
    REQUIRE_FALSE(ok.has_value());
    CHECK(ok.error().code == "batch_garbled");
    CHECK(ok.error().message.find("width") != std::string::npos);
  }
  // Widths up to 18 (what split_id writes) still decode.
  pma::v1::Batch batch;
  REQUIRE(batch.ParseFromString(fuzz::sample_batch_bytes(true)));
  batch.mutable_checkouts()->set_txn_width(0, 18);
  auto ok = wire::unpack_checkouts(batch);
  REQUIRE(ok.has_value());
  CHECK(batch.deltas(0).txn_id() == "POS-T01-000000000000000420");
}

TEST_CASE("A peer's error code that is not snake_case becomes peer_error", "[fuzz][sync]") {
  // Found by fuzz_wire_frames: "store_\x03nknown" came back as our own error code.
  for (const std::string& code :
       {std::string("store_\x03nknown"), std::string("Bad Code"), std::string(100, 'a'),
        std::string("store__unknown"), std::string("store_")}) {
    const auto frame_bytes = wire::encode_error(Error{code, "refused"});
    const wire::Frame frame{wire::FrameType::error, {frame_bytes.begin() + 5, frame_bytes.end()}};
    pma::v1::Ack ack;
    auto ok = wire::decode_message(frame, wire::FrameType::ack, ack);
    REQUIRE_FALSE(ok.has_value());
    CHECK(ok.error().code == "peer_error");
    CHECK(ok.error().message == "peer reported: refused");
  }
  const auto frame_bytes = wire::encode_error(Error{"store_unknown", "no such store"});
  const wire::Frame frame{wire::FrameType::error, {frame_bytes.begin() + 5, frame_bytes.end()}};
  pma::v1::Ack ack;
  CHECK(wire::decode_message(frame, wire::FrameType::ack, ack).error().code == "store_unknown");
  // The till's own readers of an error frame (a refused session or reservation) use the same
  // check, with their own fallback.
  const auto bad_bytes = wire::encode_error(Error{"Bad Code", "refused"});
  const wire::Frame bad{wire::FrameType::error, {bad_bytes.begin() + 5, bad_bytes.end()}};
  CHECK(wire::peer_error(bad, "hq_refused").code == "hq_refused");
  CHECK(wire::peer_error(bad).message == "refused");
  CHECK(wire::peer_error(frame, "hq_refused").code == "store_unknown");
}

TEST_CASE("The framer drops scans with surrogates, overlong forms or code points past U+10FFFF",
          "[fuzz][scanner]") {
  // Found by fuzz_framer: ED BD A0 (a UTF-16 surrogate) passed as a scan.
  scanner::Framer framer(scanner::FramerConfig{});
  scanner::TimePoint t{std::chrono::seconds(5)};
  for (const std::string bad : {"A\xed\xbd\xa0\r",
                                "\xe0\x80\xaf"
                                "B\r",
                                "\xf4\x90\x80\x80\r", "\xf0\x80\x80\xaf\r"}) {
    t += std::chrono::seconds(2);
    CHECK(framer.feed(bad, t).empty());
  }
  CHECK(framer.stats().noise_frames == 4);
  auto good =
      framer.feed("\xe4\xbd\xa0\xf0\x9f\x98\x80\xed\x9f\xbf\r", t + std::chrono::seconds(2));
  REQUIRE(good.size() == 1);
}

TEST_CASE("HQ member import refuses text fields that are not UTF-8", "[fuzz][hq]") {
  // Found by fuzz_member_import: a name of FF FF was imported, and a proto3 string on a member
  // page that a till then cannot parse.
  pma::v1::MemberImportRow probe;
  probe.set_name("\xff\xffLi");
  pma::v1::MemberImportRow parsed_probe;
  CHECK_FALSE(parsed_probe.ParseFromString(probe.SerializeAsString()));
  const std::string csv =
      "member_id,card_no,name,birthday\nM1,1,\xff\xffLi,\nM2,1,Li,\xed\xa0\x80\n"
      "\xc0\xafM3,1,Li,\nM4,\xf4\x90\x80\x80,Li,\nM5,1,\xe6\x9d\x8e,01-01\n";
  auto parsed = hq::parse_member_base(csv, "csv", "key");
  REQUIRE(parsed.members.size() == 1);
  CHECK(parsed.members[0].member_id == "M5");
  REQUIRE(parsed.errors.size() == 4);
  CHECK(parsed.errors[0].message == "name is not UTF-8 text");
  CHECK(parsed.errors[1].message == "birthday is not UTF-8 text");
  CHECK(parsed.errors[2].message == "member_id is not UTF-8 text");
  CHECK(parsed.errors[3].message == "card_no is not UTF-8 text");
}

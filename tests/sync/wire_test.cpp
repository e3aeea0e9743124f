#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>

#include "pma/v1/sync.pb.h"
#include "sync/wire/compression.h"
#include "sync/wire/frame.h"
#include "sync/wire/messages.h"

using namespace pma::wire;

namespace {

pma::v1::Batch sample_batch(int n) {
  pma::v1::Batch batch;
  for (int i = 1; i <= n; ++i) {
    auto* d = batch.add_deltas();
    d->set_seq(static_cast<std::uint64_t>(i));
    d->set_txn_id(fmt::format("T{}", i));
    d->mutable_checkout()->set_member_id("M1");
    d->mutable_checkout()->set_points_earned(i);
  }
  return batch;
}

Frame only_frame(const std::vector<std::uint8_t>& bytes) {
  FrameDecoder decoder;
  decoder.feed(bytes);
  auto frame = decoder.next();
  REQUIRE(frame);
  REQUIRE(frame->has_value());
  return std::move(**frame);
}

}  // namespace

TEST_CASE("A batch survives framing and zstd compression unchanged", "[sync][wire]") {
  auto batch = sample_batch(50);
  auto bytes = encode_message(FrameType::batch, batch);
  Frame frame = only_frame(bytes);
  CHECK(frame.type == FrameType::batch);
  pma::v1::Batch out;
  REQUIRE(decode_message(frame, FrameType::batch, out));
  REQUIRE(out.deltas_size() == 50);
  CHECK(out.deltas(49).seq() == 50);
  CHECK(out.deltas(49).checkout().points_earned() == 50);
}

TEST_CASE("The decoder waits for a frame split across reads and finds both frames",
          "[sync][wire]") {
  pma::v1::Ack ack;
  ack.set_highest_applied_seq(7);
  auto bytes = encode_message(FrameType::ack, ack);
  auto second = encode_message(FrameType::bye, pma::v1::Bye());
  bytes.insert(bytes.end(), second.begin(), second.end());
  FrameDecoder decoder;
  int frames = 0;
  for (std::uint8_t byte : bytes) {
    decoder.feed(std::span(&byte, 1));
    auto frame = decoder.next();
    REQUIRE(frame);
    if (frame->has_value()) ++frames;
  }
  CHECK(frames == 2);
  CHECK(decoder.finish());
}

TEST_CASE("Short, oversize and unknown frames are rejected precisely", "[sync][wire]") {
  SECTION("a header shorter than five bytes") {
    std::vector<std::uint8_t> bytes{0, 0, 1};
    auto header = parse_header(bytes, kDefaultMaxPayload);
    REQUIRE_FALSE(header);
    CHECK(header.error().code == "frame_short");
  }
  SECTION("a stream that ends inside a frame") {
    auto bytes = encode_message(FrameType::ack, pma::v1::Ack());
    bytes.push_back(0);  // the start of another header
    FrameDecoder decoder;
    decoder.feed(bytes);
    REQUIRE(decoder.next());
    auto done = decoder.finish();
    REQUIRE_FALSE(done);
    CHECK(done.error().code == "frame_truncated");
  }
  SECTION("an announced length above the cap, before any payload arrives") {
    std::vector<std::uint8_t> bytes{0x7f, 0xff, 0xff, 0xff, 3};
    FrameDecoder decoder(1024);
    decoder.feed(bytes);
    auto frame = decoder.next();
    REQUIRE_FALSE(frame);
    CHECK(frame.error().code == "frame_oversize");
    CHECK(frame.error().message.find("1024") != std::string::npos);
    // The decoder stays failed.
    CHECK_FALSE(decoder.next());
  }
  SECTION("an unknown frame type") {
    std::vector<std::uint8_t> bytes{0, 0, 0, 0, 99};
    auto header = parse_header(bytes, kDefaultMaxPayload);
    REQUIRE_FALSE(header);
    CHECK(header.error().code == "frame_unknown_type");
  }
}

TEST_CASE("Garbled payloads are rejected with the layer that failed", "[sync][wire]") {
  SECTION("bad zstd in a batch frame") {
    std::vector<std::uint8_t> junk{1, 2, 3, 4, 5, 6, 7, 8};
    Frame frame{FrameType::batch, junk};
    pma::v1::Batch out;
    auto ok = decode_message(frame, FrameType::batch, out);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "zstd_garbled");
  }
  SECTION("truncated zstd") {
    auto bytes = encode_message(FrameType::batch, sample_batch(200));
    Frame frame = only_frame(bytes);
    frame.payload.resize(frame.payload.size() / 2);
    pma::v1::Batch out;
    auto ok = decode_message(frame, FrameType::batch, out);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "zstd_garbled");
  }
  SECTION("valid zstd around bytes that are not protobuf") {
    std::vector<std::uint8_t> junk(64, 0xff);
    Frame frame{FrameType::batch, zstd_compress(junk)};
    pma::v1::Batch out;
    auto ok = decode_message(frame, FrameType::batch, out);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "protobuf_garbled");
  }
  SECTION("a decompression bomb") {
    std::vector<std::uint8_t> zeros(4u << 20, 0);
    Frame frame{FrameType::batch, zstd_compress(zeros)};
    CHECK(frame.payload.size() < 1024);
    pma::v1::Batch out;
    auto ok = decode_message(frame, FrameType::batch, out, 1u << 20);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "zstd_too_large");
  }
  SECTION("another frame type than expected") {
    Frame frame = only_frame(encode_message(FrameType::bye, pma::v1::Bye()));
    pma::v1::Ack out;
    auto ok = decode_message(frame, FrameType::ack, out);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "frame_unexpected");
  }
  SECTION("an error frame from the peer carries the peer's code") {
    Frame frame = only_frame(encode_error({"busy_db", "database locked"}));
    pma::v1::Ack out;
    auto ok = decode_message(frame, FrameType::ack, out);
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "busy_db");
  }
}

TEST_CASE("A zstd payload that does not declare its size is inflated whole, with a cap",
          "[sync][wire]") {
  // Made by `zstd -c` reading a pipe, which cannot know the size up front: no content size in
  // the frame header, so the decoder streams.
  const std::vector<std::uint8_t> hello = {0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x65, 0x00, 0x00,
                                           0x30, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x01, 0x00,
                                           0x31, 0x4a, 0x11, 0xa2, 0xed, 0x1e, 0x0c};
  // 1,000,000 zero bytes from a pipe: 51 bytes in, far more out than one output chunk.
  const std::vector<std::uint8_t> zeros = {
      0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x58, 0x54, 0x00, 0x00, 0x10, 0x00, 0x00, 0x01,
      0x00, 0xfb, 0xff, 0x39, 0xc0, 0x02, 0x02, 0x00, 0x10, 0x00, 0x02, 0x00, 0x10,
      0x00, 0x02, 0x00, 0x10, 0x00, 0x02, 0x00, 0x10, 0x00, 0x02, 0x00, 0x10, 0x00,
      0x02, 0x00, 0x10, 0x00, 0x03, 0x12, 0x0a, 0x00, 0xcc, 0xae, 0xca, 0x39};

  auto text = zstd_decompress(hello, 1024);
  REQUIRE(text.has_value());
  CHECK(std::string(text->begin(), text->end()) == "hello hello hello");

  auto big = zstd_decompress(zeros, 2'000'000);
  REQUIRE(big.has_value());  // all input is read before the output is: it must still come out
  CHECK(big->size() == 1'000'000);
  CHECK(std::all_of(big->begin(), big->end(), [](std::uint8_t b) { return b == 0; }));

  auto capped = zstd_decompress(zeros, 999'999);
  REQUIRE_FALSE(capped.has_value());
  CHECK(capped.error().code == "zstd_too_large");

  auto trailing = hello;
  trailing.insert(trailing.end(), {0xde, 0xad});
  auto refused = zstd_decompress(trailing, 1024);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().code == "zstd_garbled");
  CHECK(refused.error().message == "2 bytes follow the zstd frame");

  auto cut = std::vector<std::uint8_t>(hello.begin(), hello.end() - 3);
  auto truncated = zstd_decompress(cut, 1024);
  REQUIRE_FALSE(truncated.has_value());
  CHECK(truncated.error().code == "zstd_garbled");
}

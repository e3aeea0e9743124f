// Fuzz target: a sync byte stream through wire::FrameDecoder (any chunking, a size cap), then
// each frame through decode_message / decode_batch for its type (input layout: fuzz_inputs.h).
// Properties: no throw; frames re-encode to exactly the bytes consumed; no payload exceeds the
// cap; chunking changes nothing; a failed decoder stays failed; finish() reports a partial
// frame as "frame_truncated"; every rejection has a documented snake_case code; a decoded
// message re-encodes and decodes to the same message.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pma/v1/sync.pb.h"
#include "sync/wire/frame.h"
#include "sync/wire/messages.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using pma::fuzz::check;
using namespace pma::wire;

struct Decoded {
  std::vector<Frame> frames;
  std::optional<pma::Error> error;
  std::size_t leftover = 0;
};

Decoded decode_stream(std::span<const std::uint8_t> stream, std::size_t chunk, std::uint32_t cap) {
  FrameDecoder decoder(cap);
  Decoded out;
  for (std::size_t at = 0; at < stream.size() && !out.error; at += chunk) {
    decoder.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
    while (true) {
      auto next = decoder.next();
      if (!next) {
        out.error = next.error();
        auto again = decoder.next();
        check(!again && again.error().code == next.error().code, "a failed decoder recovered");
        break;
      }
      if (!*next) break;
      check((*next)->payload.size() <= cap, "a payload exceeds the cap");
      out.frames.push_back(std::move(**next));
    }
  }
  auto finished = decoder.finish();
  if (out.error) {
    check(!finished && finished.error().code == out.error->code, "finish() forgot the error");
  } else if (!finished) {
    pma::fuzz::check_error(finished.error(), {"frame_truncated"}, "finish");
    out.leftover = decoder.buffered();
    check(out.leftover > 0, "frame_truncated with nothing buffered");
  }
  return out;
}

std::unique_ptr<google::protobuf::MessageLite> message_for(FrameType type) {
  switch (type) {
    case FrameType::hello:
      return std::make_unique<pma::v1::Hello>();
    case FrameType::handshake:
      return std::make_unique<pma::v1::Handshake>();
    case FrameType::batch:
      return std::make_unique<pma::v1::Batch>();
    case FrameType::ack:
      return std::make_unique<pma::v1::Ack>();
    case FrameType::resend_request:
      return std::make_unique<pma::v1::ResendRequest>();
    case FrameType::busy:
      return std::make_unique<pma::v1::Busy>();
    case FrameType::error:
      return std::make_unique<pma::v1::SyncError>();
    case FrameType::pull_request:
      return std::make_unique<pma::v1::PullRequest>();
    case FrameType::member_page:
      return std::make_unique<pma::v1::MemberPage>();
    case FrameType::bye:
      return std::make_unique<pma::v1::Bye>();
    case FrameType::reserve:
      return std::make_unique<pma::v1::ReserveRequest>();
    case FrameType::reserve_reply:
      return std::make_unique<pma::v1::ReserveReply>();
    case FrameType::release:
      return std::make_unique<pma::v1::ReleaseRequest>();
  }
  return nullptr;
}

void check_message(const Frame& frame) {
  constexpr std::size_t kMaxInflated = 1u << 20;  // keeps the target fast; the cap is a parameter
  if (frame.type == FrameType::batch) {
    pma::v1::Batch batch;
    auto ok = decode_batch(frame, batch, kMaxInflated);
    if (!ok) {
      pma::fuzz::check_error(
          ok.error(), {"zstd_garbled", "zstd_too_large", "protobuf_garbled", "batch_garbled"},
          "decode_batch");
      return;
    }
    for (bool columnar : {false, true}) {
      auto bytes = encode_batch(batch, columnar);
      auto reframed = FrameDecoder();
      reframed.feed(bytes);
      auto again = reframed.next();
      check(again && *again, "an encoded batch does not frame");
      pma::v1::Batch round;
      check(decode_batch(**again, round).has_value(), "a re-encoded batch does not decode");
      check(round.SerializeAsString() == batch.SerializeAsString(),
            "a batch changes through encode_batch/decode_batch");
    }
    return;
  }
  auto message = message_for(frame.type);
  check(message != nullptr, "a frame of an unknown type was decoded");
  auto ok = decode_message(frame, frame.type, *message, kMaxInflated);
  if (!ok) {
    pma::fuzz::check_error(ok.error(), {"zstd_garbled", "zstd_too_large", "protobuf_garbled"},
                           "decode_message");
    return;
  }
  auto bytes = encode_message(frame.type, *message);
  FrameDecoder reframed;
  reframed.feed(bytes);
  auto again = reframed.next();
  check(again && *again && (*again)->type == frame.type, "an encoded message does not frame");
  auto round = message_for(frame.type);
  check(decode_message(**again, frame.type, *round).has_value(),
        "a re-encoded message does not decode");
  check(round->SerializeAsString() == message->SerializeAsString(),
        fmt::format("a {} message changes through encode/decode", frame_type_name(frame.type)));
  if (frame.type != FrameType::error) {
    // The same frame where the peer's error was expected instead: frame_unexpected.
    pma::v1::SyncError other;
    auto wrong = decode_message(frame, FrameType::error, other);
    check(!wrong && wrong.error().code == "frame_unexpected", "a frame of another type decoded");
  } else {
    // An error frame where something else was expected: the peer's code, still snake_case.
    pma::v1::Ack ack;
    auto remote = decode_message(frame, FrameType::ack, ack);
    check(!remote.has_value(), "an error frame decoded as an ack");
    pma::fuzz::check_error(remote.error(), {}, "decode_message(error frame)");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::fuzz::ByteReader in(data, size);
  const std::uint8_t cap_byte = in.u8();
  const std::size_t chunk = in.u8() % 64 + 1;
  const std::uint32_t cap = cap_byte == 0 ? kDefaultMaxPayload : cap_byte * 16u;
  const auto stream = pma::fuzz::as_bytes(in.rest());

  const Decoded chunked = decode_stream(stream, chunk, cap);
  const Decoded whole = decode_stream(stream, stream.size() + 1, cap);
  check(chunked.frames.size() == whole.frames.size(), "chunking changes the frames");
  check(chunked.error.has_value() == whole.error.has_value() &&
            (!whole.error || chunked.error->code == whole.error->code),
        "chunking changes the error");

  std::vector<std::uint8_t> reencoded;
  for (std::size_t i = 0; i < whole.frames.size(); ++i) {
    check(whole.frames[i].type == chunked.frames[i].type &&
              whole.frames[i].payload == chunked.frames[i].payload,
          "chunking changes a frame");
    append_frame(reencoded, whole.frames[i].type, whole.frames[i].payload);
  }
  check(reencoded.size() <= stream.size() &&
            std::equal(reencoded.begin(), reencoded.end(), stream.begin()),
        "frames do not re-encode to the bytes they came from");
  if (whole.error) {
    pma::fuzz::check_error(*whole.error, {"frame_unknown_type", "frame_oversize"}, "next");
  } else {
    check(reencoded.size() + whole.leftover == stream.size(), "bytes lost between frames");
  }
  for (const Frame& frame : whole.frames) check_message(frame);
  return 0;
}

// Sync frames: a 4-byte big-endian payload length, a 1-byte frame type, then the payload.
// Pure functions and a pure incremental decoder (no I/O, no clock); thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "pma/error.h"

namespace pma::wire {

enum class FrameType : std::uint8_t {
  hello = 1,
  handshake = 2,
  batch = 3,  // zstd-compressed payload
  ack = 4,
  resend_request = 5,
  busy = 6,
  error = 7,
  pull_request = 8,
  member_page = 9,  // zstd-compressed payload
  bye = 10,
  reserve = 11,        // ReserveRequest
  reserve_reply = 12,  // ReserveReply
  release = 13,        // ReleaseRequest (no answer)
};

inline constexpr FrameType kLastFrameType = FrameType::release;

inline constexpr std::size_t kHeaderSize = 5;
// The default hard cap on one frame's payload (compressed size), checked before allocating.
inline constexpr std::uint32_t kDefaultMaxPayload = 1u << 20;

// "hello", "batch", ... or "unknown(N)".
std::string_view frame_type_name(FrameType type);
// True for the types whose payload is zstd-compressed.
bool is_compressed(FrameType type);

struct FrameHeader {
  FrameType type;
  std::uint32_t payload_size;
};

// Parses a header from exactly kHeaderSize (or more) bytes.
// Errors: "frame_short" (fewer than 5 bytes), "frame_unknown_type", "frame_oversize" (the
// announced payload exceeds max_payload; nothing is allocated).
Result<FrameHeader> parse_header(std::span<const std::uint8_t> bytes, std::uint32_t max_payload);

// Appends one frame to out. The caller keeps payloads under the peer's cap.
void append_frame(std::vector<std::uint8_t>& out, FrameType type,
                  std::span<const std::uint8_t> payload);
std::vector<std::uint8_t> encode_frame(FrameType type, std::span<const std::uint8_t> payload);

struct Frame {
  FrameType type;
  std::vector<std::uint8_t> payload;
};

// Splits a byte stream into frames. feed() bytes as they arrive, then call next() until it
// returns nullopt (needs more bytes). After an error the decoder stays failed.
class FrameDecoder {
 public:
  explicit FrameDecoder(std::uint32_t max_payload = kDefaultMaxPayload)
      : max_payload_(max_payload) {}

  void feed(std::span<const std::uint8_t> bytes);
  Result<std::optional<Frame>> next();
  // At end of stream: "frame_truncated" if a partial frame is left over.
  Status finish() const;
  std::size_t buffered() const { return buffer_.size() - offset_; }

 private:
  std::uint32_t max_payload_;
  std::vector<std::uint8_t> buffer_;
  std::size_t offset_ = 0;
  std::optional<Error> failed_;
};

}  // namespace pma::wire

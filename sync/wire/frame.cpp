#include "sync/wire/frame.h"

#include <fmt/format.h>

namespace pma::wire {

std::string_view frame_type_name(FrameType type) {
  switch (type) {
    case FrameType::hello:
      return "hello";
    case FrameType::handshake:
      return "handshake";
    case FrameType::batch:
      return "batch";
    case FrameType::ack:
      return "ack";
    case FrameType::resend_request:
      return "resend_request";
    case FrameType::busy:
      return "busy";
    case FrameType::error:
      return "error";
    case FrameType::pull_request:
      return "pull_request";
    case FrameType::member_page:
      return "member_page";
    case FrameType::bye:
      return "bye";
    case FrameType::reserve:
      return "reserve";
    case FrameType::reserve_reply:
      return "reserve_reply";
    case FrameType::release:
      return "release";
  }
  return "unknown";
}

bool is_compressed(FrameType type) {
  return type == FrameType::batch || type == FrameType::member_page;
}

Result<FrameHeader> parse_header(std::span<const std::uint8_t> bytes, std::uint32_t max_payload) {
  if (bytes.size() < kHeaderSize) {
    return fail("frame_short",
                fmt::format("frame header needs {} bytes, got {}", kHeaderSize, bytes.size()));
  }
  std::uint32_t size = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
                       (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
  std::uint8_t raw_type = bytes[4];
  if (raw_type < static_cast<std::uint8_t>(FrameType::hello) ||
      raw_type > static_cast<std::uint8_t>(kLastFrameType)) {
    return fail("frame_unknown_type", fmt::format("unknown frame type {}", raw_type));
  }
  auto type = static_cast<FrameType>(raw_type);
  if (size > max_payload) {
    return fail("frame_oversize", fmt::format("{} frame announces {} bytes, the limit is {}",
                                              frame_type_name(type), size, max_payload));
  }
  return FrameHeader{type, size};
}

void append_frame(std::vector<std::uint8_t>& out, FrameType type,
                  std::span<const std::uint8_t> payload) {
  auto size = static_cast<std::uint32_t>(payload.size());
  out.push_back(static_cast<std::uint8_t>(size >> 24));
  out.push_back(static_cast<std::uint8_t>(size >> 16));
  out.push_back(static_cast<std::uint8_t>(size >> 8));
  out.push_back(static_cast<std::uint8_t>(size));
  out.push_back(static_cast<std::uint8_t>(type));
  out.insert(out.end(), payload.begin(), payload.end());
}

std::vector<std::uint8_t> encode_frame(FrameType type, std::span<const std::uint8_t> payload) {
  std::vector<std::uint8_t> out;
  out.reserve(kHeaderSize + payload.size());
  append_frame(out, type, payload);
  return out;
}

void FrameDecoder::feed(std::span<const std::uint8_t> bytes) {
  if (failed_) return;
  // Compact lazily so a long session does not grow the buffer without bound.
  if (offset_ > 0 && offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > (1u << 16) && offset_ * 2 > buffer_.size()) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
    offset_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

Result<std::optional<Frame>> FrameDecoder::next() {
  if (failed_) return std::unexpected(*failed_);
  std::span<const std::uint8_t> rest(buffer_.data() + offset_, buffer_.size() - offset_);
  if (rest.size() < kHeaderSize) return std::optional<Frame>();
  auto header = parse_header(rest, max_payload_);
  if (!header) {
    failed_ = header.error();
    return std::unexpected(header.error());
  }
  if (rest.size() - kHeaderSize < header->payload_size) return std::optional<Frame>();
  Frame frame{header->type,
              std::vector<std::uint8_t>(rest.begin() + kHeaderSize,
                                        rest.begin() + kHeaderSize + header->payload_size)};
  offset_ += kHeaderSize + header->payload_size;
  return std::optional<Frame>(std::move(frame));
}

Status FrameDecoder::finish() const {
  if (failed_) return std::unexpected(*failed_);
  if (buffered() > 0) {
    return fail("frame_truncated",
                fmt::format("stream ended inside a frame ({} bytes left over)", buffered()));
  }
  return {};
}

}  // namespace pma::wire

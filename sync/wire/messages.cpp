#include "sync/wire/messages.h"

#include <fmt/format.h>

#include "pma/v1/sync.pb.h"
#include "sync/wire/delta_columns.h"

namespace pma::wire {

namespace {

// A peer's error code is passed on as ours only when it is one (stable snake_case ASCII): the
// code reaches logs, metrics labels and the POS's JSON.
bool is_error_code(std::string_view code) {
  if (code.empty() || code.size() > 64 || code.front() < 'a' || code.front() > 'z' ||
      code.back() == '_' || code.find("__") != std::string_view::npos) {
    return false;
  }
  for (char c : code) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_message(FrameType type,
                                         const google::protobuf::MessageLite& message,
                                         int zstd_level) {
  std::vector<std::uint8_t> raw(message.ByteSizeLong());
  message.SerializeWithCachedSizesToArray(raw.data());
  if (!is_compressed(type)) return encode_frame(type, raw);
  return encode_frame(type, zstd_compress(raw, zstd_level));
}

Error peer_error(const Frame& frame, std::string_view fallback) {
  pma::v1::SyncError remote;
  if (!remote.ParseFromArray(frame.payload.data(), static_cast<int>(frame.payload.size()))) {
    return Error{"protobuf_garbled", "peer sent an unreadable error frame"};
  }
  return Error{is_error_code(remote.code()) ? remote.code() : std::string(fallback),
               remote.message()};
}

Status decode_message(const Frame& frame, FrameType expected, google::protobuf::MessageLite& out,
                      std::size_t max_decompressed) {
  if (frame.type == FrameType::error && expected != FrameType::error) {
    Error remote = peer_error(frame);
    if (remote.code != "protobuf_garbled") remote.message = "peer reported: " + remote.message;
    return std::unexpected(std::move(remote));
  }
  if (frame.type != expected) {
    return fail("frame_unexpected",
                fmt::format("expected a {} frame, got {}", frame_type_name(expected),
                            frame_type_name(frame.type)));
  }
  std::vector<std::uint8_t> inflated;
  const std::vector<std::uint8_t>* payload = &frame.payload;
  if (is_compressed(frame.type)) {
    auto raw = zstd_decompress(frame.payload, max_decompressed);
    if (!raw) {
      return fail(raw.error().code,
                  fmt::format("{} frame: {}", frame_type_name(frame.type), raw.error().message));
    }
    inflated = std::move(*raw);
    payload = &inflated;
  }
  if (!out.ParseFromArray(payload->data(), static_cast<int>(payload->size()))) {
    return fail("protobuf_garbled",
                fmt::format("{} frame: {} payload bytes are not a valid {}",
                            frame_type_name(frame.type), payload->size(), out.GetTypeName()));
  }
  return {};
}

std::vector<std::uint8_t> encode_batch(pma::v1::Batch batch, bool columnar, int zstd_level) {
  if (columnar) pack_checkouts(batch);
  return encode_message(FrameType::batch, batch, zstd_level);
}

Status decode_batch(const Frame& frame, pma::v1::Batch& out, std::size_t max_decompressed) {
  if (auto ok = decode_message(frame, FrameType::batch, out, max_decompressed); !ok) return ok;
  return unpack_checkouts(out);
}

std::vector<std::uint8_t> encode_error(const Error& error) {
  pma::v1::SyncError message;
  message.set_code(error.code);
  message.set_message(error.message);
  return encode_message(FrameType::error, message);
}

}  // namespace pma::wire
